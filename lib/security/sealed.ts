/**
 * Values the portal must read back in plaintext (webhook signing secrets, connector admin
 * credentials, certificate authority keys) are stored sealed: AES-256-GCM under a key of
 * their purpose's own, so a key that leaks for one purpose opens nothing else. A hash would
 * not do: the worker needs the plaintext to sign or to log in.
 *
 * Format: `v1.<iv>.<tag>.<ciphertext>`, each base64url, a fresh IV every time; the version
 * lets the key or algorithm change later without guessing.
 *
 * Each purpose's key comes from its own root secret (WEBHOOK_ENCRYPTION_SECRET,
 * CONNECTOR_ENCRYPTION_SECRET; ADR 0033). During a rotation the purpose's `_PREVIOUS` secret
 * still opens what it sealed, and `resealed` re-seals such a value under the current one.
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

export type TSealOptions = {
  purpose: TSealPurpose;
  label?: string;
  /** Overrides the configured root secret (tests, the re-seal command); then no previous one applies. */
  rootSecret?: string;
  previousRootSecret?: string | null;
};

const rootsFor = ({
  purpose,
  rootSecret,
  previousRootSecret,
}: TSealOptions): { current: string; previous: string | null } =>
  rootSecret !== undefined
    ? { current: rootSecret, previous: previousRootSecret ?? null }
    : getConfig().encryptionSecrets[purpose];

const deriveKey = (purpose: TSealPurpose, root: string): Buffer =>
  Buffer.from(
    hkdfSync("sha256", Buffer.from(root, "utf8"), Buffer.alloc(0), Buffer.from(SEAL_PURPOSES[purpose], "utf8"), 32),
  );

const keyFor = (options: TSealOptions): Buffer => deriveKey(options.purpose, rootsFor(options).current);

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
  const ciphertext = Buffer.from(ciphertextText, "base64url");
  const roots = rootsFor(options);
  for (const root of [roots.current, ...(roots.previous ? [roots.previous] : [])]) {
    const decipher = createDecipheriv("aes-256-gcm", deriveKey(options.purpose, root), iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
    } catch {
      // Try the previous secret, if a rotation is under way.
    }
  }
  throw new Error(`${label}: decryption failed (wrong key or altered ciphertext)`);
};

/**
 * For the re-seal command: the value sealed again under the current secret when only the
 * previous one opens it, or null when the current one already does. Throws when neither does.
 */
export const resealed = (sealed: string, options: TSealOptions): string | null => {
  const roots = rootsFor(options);
  try {
    unseal(sealed, { ...options, rootSecret: roots.current, previousRootSecret: null });
    return null;
  } catch {
    const plaintext = unseal(sealed, options);
    return seal(plaintext, { ...options, rootSecret: roots.current, previousRootSecret: null });
  }
};
