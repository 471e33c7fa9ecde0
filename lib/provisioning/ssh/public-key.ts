/**
 * The public key an engineer pastes to get a certificate. Only plain user keys of strong types
 * are signed: a certificate (re-signing one would launder its principals), a private key (pasted
 * by mistake: refused without echoing it) and the certificate authority's own key are refused.
 */
import sshpk from "sshpk";
import { AppError } from "../../errors";

/** An OpenSSH public key line is at most a few kilobytes even for RSA 16384. */
export const MAX_PUBLIC_KEY_CHARS = 8192;
export const MIN_RSA_BITS = 3072;
const ALLOWED_ECDSA_CURVES = new Set(["nistp256", "nistp384", "nistp521"]);

export type TUserPublicKey = {
  key: sshpk.Key;
  /** e.g. "ED25519", "RSA 4096", for the page and the audit detail. */
  description: string;
  /** SHA256:… as ssh-keygen -l prints it. */
  fingerprint: string;
};

const refuse = (message: string): never => {
  throw new AppError("INVALID_INPUT", message, { publicKey: message });
};

/** Parses one OpenSSH public key line; `caPublicKey` (an OpenSSH line) is the key it must not be. */
export const parseUserPublicKey = (text: string, options: { caPublicKey?: string } = {}): TUserPublicKey => {
  const line = text.trim();
  if (line.length === 0) refuse("Paste your public key (the contents of ~/.ssh/id_ed25519.pub or similar).");
  if (line.length > MAX_PUBLIC_KEY_CHARS) refuse("That is too long for an SSH public key.");
  if (/PRIVATE KEY/.test(line))
    refuse("That is a private key. Never share it: paste the .pub file's single line instead.");
  if (/\r|\n/.test(line)) refuse("Paste a single public key line.");
  if (/-cert-v01@openssh\.com/.test(line.split(/\s+/)[0] ?? ""))
    refuse("That is a certificate; paste the plain public key it was made for.");
  let key: sshpk.Key;
  try {
    key = sshpk.parseKey(line, "ssh");
  } catch {
    return refuse('That is not an OpenSSH public key line (expected e.g. "ssh-ed25519 AAAA… you@laptop").');
  }
  let description: string;
  if (key.type === "ed25519") description = "ED25519";
  else if (key.type === "ecdsa") {
    if (!ALLOWED_ECDSA_CURVES.has(String(key.curve))) refuse("Unsupported ECDSA curve.");
    description = `ECDSA ${key.size}`;
  } else if (key.type === "rsa") {
    if (key.size < MIN_RSA_BITS) refuse(`RSA keys need at least ${MIN_RSA_BITS} bits (this one has ${key.size}).`);
    description = `RSA ${key.size}`;
  } else {
    return refuse(`Key type ${key.type} is not accepted: use ed25519, ecdsa or rsa (${MIN_RSA_BITS} bits or more).`);
  }
  const fingerprint = key.fingerprint("sha256").toString();
  if (
    options.caPublicKey &&
    sshpk.parseKey(options.caPublicKey, "ssh").fingerprint("sha256").toString() === fingerprint
  )
    refuse("That is the certificate authority's key, not yours.");
  return { key, description, fingerprint };
};
