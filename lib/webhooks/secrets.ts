/**
 * Endpoint signing secrets. A secret is `whsec_` + base64 of 32 random bytes (the Standard
 * Webhooks format). It is shown to the administrator once, at creation; the database holds
 * it only encrypted with AES-256-GCM under a key derived from AUTH_SECRET, because the
 * worker needs the plaintext to sign (a hash would not do, unlike service secrets).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { getConfig } from "../config";

export const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;
const KEY_INFO = "jit-webhook-secrets";
// The format's version, so the key or algorithm can change later without guessing.
const FORMAT = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const generateSecret = (): string => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString("base64")}`;

const deriveKey = (authSecret: string): Buffer =>
  Buffer.from(hkdfSync("sha256", Buffer.from(authSecret, "utf8"), Buffer.alloc(0), Buffer.from(KEY_INFO, "utf8"), 32));

type TKeyOptions = { authSecret?: string };

/** `v1.<iv>.<tag>.<ciphertext>`, each base64url. A fresh IV every time. */
export const encryptSecret = (plaintext: string, options: TKeyOptions = {}): string => {
  const key = deriveKey(options.authSecret ?? getConfig().authSecret);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [FORMAT, iv.toString("base64url"), tag.toString("base64url"), ciphertext.toString("base64url")].join(".");
};

/** Throws if the value is malformed, was encrypted under another key, or was altered. */
export const decryptSecret = (encrypted: string, options: TKeyOptions = {}): string => {
  const parts = encrypted.split(".");
  const [format, ivText, tagText, ciphertextText] = parts;
  if (
    parts.length !== 4 ||
    format !== FORMAT ||
    ivText === undefined ||
    tagText === undefined ||
    ciphertextText === undefined
  ) {
    throw new Error("webhook secret: unknown encryption format");
  }
  const iv = Buffer.from(ivText, "base64url");
  const tag = Buffer.from(tagText, "base64url");
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error("webhook secret: malformed ciphertext");
  const key = deriveKey(options.authSecret ?? getConfig().authSecret);
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertextText, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    throw new Error("webhook secret: decryption failed (wrong key or altered ciphertext)");
  }
};
