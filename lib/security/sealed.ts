/**
 * Values the portal must read back in plaintext (webhook signing secrets, connector admin
 * credentials, certificate authority keys) are stored sealed: AES-256-GCM under a key of
 * their purpose's own, so a key that leaks for one purpose opens nothing else. A hash would
 * not do: the worker needs the plaintext to sign or to log in.
 *
 * Format: `v1.<iv>.<tag>.<ciphertext>`, each base64url, a fresh IV every time; the version
 * lets the key or algorithm change later without guessing.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { getConfig } from "../config";

/** Each purpose derives its own key (HKDF info string); existing ciphertexts keep theirs. */
export const SEAL_PURPOSES = {
  "webhook-secrets": "jit-webhook-secrets",
  "connector-credentials": "jit-connector-credentials",
} as const;
export type TSealPurpose = keyof typeof SEAL_PURPOSES;

const FORMAT = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type TSealOptions = { purpose: TSealPurpose; label?: string; rootSecret?: string };

const keyFor = ({ purpose, rootSecret }: TSealOptions): Buffer =>
  Buffer.from(
    hkdfSync(
      "sha256",
      Buffer.from(rootSecret ?? getConfig().authSecret, "utf8"),
      Buffer.alloc(0),
      Buffer.from(SEAL_PURPOSES[purpose], "utf8"),
      32,
    ),
  );

export const seal = (plaintext: string, options: TSealOptions): string => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyFor(options), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [FORMAT, iv.toString("base64url"), tag.toString("base64url"), ciphertext.toString("base64url")].join(".");
};

/** Throws if the value is malformed, was sealed under another key or purpose, or was altered. */
export const unseal = (sealed: string, options: TSealOptions): string => {
  const label = options.label ?? options.purpose;
  const parts = sealed.split(".");
  const [format, ivText, tagText, ciphertextText] = parts;
  if (
    parts.length !== 4 ||
    format !== FORMAT ||
    ivText === undefined ||
    tagText === undefined ||
    ciphertextText === undefined
  ) {
    throw new Error(`${label}: unknown encryption format`);
  }
  const iv = Buffer.from(ivText, "base64url");
  const tag = Buffer.from(tagText, "base64url");
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error(`${label}: malformed ciphertext`);
  const decipher = createDecipheriv("aes-256-gcm", keyFor(options), iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertextText, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    throw new Error(`${label}: decryption failed (wrong key or altered ciphertext)`);
  }
};
