import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";

/**
 * The key that signs audit anchors (ADR 0028): Ed25519, held by the portal's processes and
 * never by the database, so someone who can rewrite the audit table cannot forge an anchor.
 * The public half, printed with every anchor (`keyId`) and by `npm run audit:verify`, lets
 * anyone check anchors without being able to make one.
 *
 * AUDIT_ANCHOR_KEY is either a PKCS#8 PEM (`openssl genpkey -algorithm ed25519`) or the
 * 32-byte seed in base64 (`openssl rand -base64 32`).
 */

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): this prefix, then the 32 bytes.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** Development and tests only; production refuses it (lib/config.ts). */
export const DEV_AUDIT_ANCHOR_KEY = createHash("sha256")
  .update("jit-access development-only audit anchor key")
  .digest()
  .toString("base64");

export class AnchorKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AnchorKeyError";
  }
}

/** Parses AUDIT_ANCHOR_KEY; throws AnchorKeyError saying what is wrong, never echoing the key. */
export const parseAnchorKey = (text: string): KeyObject => {
  const trimmed = text.trim();
  let key: KeyObject;
  if (trimmed.startsWith("-----BEGIN")) {
    try {
      key = createPrivateKey(trimmed);
    } catch {
      throw new AnchorKeyError("not a readable PEM private key");
    }
  } else {
    const seed = Buffer.from(trimmed, "base64");
    if (seed.length !== 32 || seed.toString("base64").replace(/=+$/, "") !== trimmed.replace(/=+$/, "")) {
      throw new AnchorKeyError(
        "must be an Ed25519 PEM private key or 32 random bytes in base64 (openssl rand -base64 32)",
      );
    }
    key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new AnchorKeyError(`must be an Ed25519 key, not ${key.asymmetricKeyType}`);
  return key;
};

export type TAnchorSigner = {
  /** Short name of the public key: the first 16 hex digits of SHA-256 over its raw 32 bytes. */
  keyId: string;
  /** The public key, raw, in base64: what an outside verifier needs. */
  publicKey: string;
  sign: (message: string) => string;
  verify: (message: string, signature: string) => boolean;
};

export const anchorSigner = (privateKey: KeyObject): TAnchorSigner => {
  const publicKey = createPublicKey(privateKey);
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  return {
    keyId: createHash("sha256").update(raw).digest("hex").slice(0, 16),
    publicKey: raw.toString("base64"),
    sign: (message) => sign(null, Buffer.from(message, "utf8"), privateKey).toString("base64"),
    verify: (message, signature) => {
      try {
        return verify(null, Buffer.from(message, "utf8"), publicKey, Buffer.from(signature, "base64"));
      } catch {
        return false;
      }
    },
  };
};
