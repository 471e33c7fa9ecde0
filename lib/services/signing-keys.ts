/**
 * The keys that sign service tokens (ES256, P-256). The newest key that is not retired signs;
 * every key is published at /.well-known/jwks.json and verifies until it has been retired for
 * longer than a token lives, so a rotation never breaks a token in flight. The private half is
 * stored as encrypted PKCS#8 under a passphrase derived from SIGNING_KEY_ENCRYPTION_SECRET (HKDF,
 * its own info string; ADR 0033), so it shares no key with anything else. During a rotation the
 * `_PREVIOUS` secret still decrypts, and `npm run secrets:reseal` re-encrypts under the new one.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  randomUUID,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import { appendAuditEvent } from "../audit";
import { actorId, type TActor } from "../authz";
import { getConfig } from "../config";
import { db, type Prisma } from "../db";
import { AppError } from "../errors";
import { TOKEN_ALG, TOKEN_TTL_SECONDS } from "./scopes";

const KEY_INFO = "jit-service-signing-keys";
// Different from the audit chain's lock: creating the first key is not a grant change.
const KEY_LOCK = 7_311_002;
/** A retired key verifies this long after retirement: a token's life plus clock skew. */
export const RETIRED_KEY_GRACE_MS = TOKEN_TTL_SECONDS * 1000 + 60_000;

/** The PKCS#8 passphrase a root secret gives (exported for the rotation test). */
export const passphraseFrom = (root: string): string =>
  Buffer.from(
    hkdfSync("sha256", Buffer.from(root, "utf8"), Buffer.alloc(0), Buffer.from(KEY_INFO, "utf8"), 32),
  ).toString("base64");
const passphrase = (): string => passphraseFrom(getConfig().encryptionSecrets["signing-keys"].current);

export type TPublicJwk = JsonWebKey & { kid: string; alg: string; use: "sig" };

export type TKeyRing = {
  signer: { kid: string; key: KeyObject } | null;
  verifiers: Map<string, KeyObject>;
  jwks: { keys: TPublicJwk[] };
};

const newKeyRow = (id: string) => {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicJwk = { ...publicKey.export({ format: "jwk" }), kid: id, alg: TOKEN_ALG, use: "sig" };
  const privateKeyEncrypted = privateKey
    .export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: passphrase() })
    .toString();
  return { id, alg: TOKEN_ALG, publicJwk: publicJwk as Prisma.InputJsonObject, privateKeyEncrypted };
};

const createKey = (tx: Prisma.TransactionClient) => tx.serviceSigningKey.create({ data: newKeyRow(randomUUID()) });

const decryptWith = (encrypted: string, root: string): KeyObject | null => {
  try {
    return createPrivateKey({ key: encrypted, format: "pem", passphrase: passphraseFrom(root) });
  } catch {
    return null;
  }
};

/** Under the current secret, or the previous one during a rotation; null under neither (another secret). */
const decryptPrivateKey = (encrypted: string): KeyObject | null => {
  const { current, previous } = getConfig().encryptionSecrets["signing-keys"];
  return decryptWith(encrypted, current) ?? (previous ? decryptWith(encrypted, previous) : null);
};

/**
 * Re-encrypts, under the current SIGNING_KEY_ENCRYPTION_SECRET, every stored private key that
 * only the previous secret opens (the re-seal command, after a rotation). Keys neither opens are
 * left as they are (they are retired at the next start). Returns how many were re-encrypted.
 */
export const resealSigningKeys = async (): Promise<{ resealed: number; unreadable: number }> => {
  const { current } = getConfig().encryptionSecrets["signing-keys"];
  const rows = await db.serviceSigningKey.findMany({ select: { id: true, privateKeyEncrypted: true } });
  let resealed = 0;
  let unreadable = 0;
  for (const row of rows) {
    if (decryptWith(row.privateKeyEncrypted, current)) continue;
    const key = decryptPrivateKey(row.privateKeyEncrypted);
    if (!key) {
      unreadable += 1;
      continue;
    }
    const privateKeyEncrypted = key
      .export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: passphraseFrom(current) })
      .toString();
    await db.serviceSigningKey.update({ where: { id: row.id }, data: { privateKeyEncrypted } });
    resealed += 1;
  }
  return { resealed, unreadable };
};

/**
 * Makes sure a key this process can sign with exists (the API server calls it at start); safe
 * on many replicas at once. A current key that no longer decrypts (SIGNING_KEY_ENCRYPTION_SECRET changed without its _PREVIOUS) is
 * retired, still verifying the tokens it signed, and a new one takes over.
 */
export const ensureSigningKey = async (): Promise<void> => {
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`select pg_advisory_xact_lock(${KEY_LOCK})`;
    const current = await tx.serviceSigningKey.findMany({
      where: { retiredAt: null },
      orderBy: { createdAt: "desc" },
      select: { id: true, privateKeyEncrypted: true },
    });
    if (current[0] && decryptPrivateKey(current[0].privateKeyEncrypted)) return;
    if (current.length > 0)
      await tx.serviceSigningKey.updateMany({
        where: { id: { in: current.map((row) => row.id) } },
        data: { retiredAt: new Date() },
      });
    const key = await createKey(tx);
    await appendAuditEvent(tx, {
      actorType: "SYSTEM",
      actorId: "system:api",
      action: "signing_key.create",
      targetType: "signing_key",
      targetId: key.id,
      outcome: "ALLOWED",
      reason:
        current.length > 0 ? "the current key does not decrypt under this SIGNING_KEY_ENCRYPTION_SECRET" : "first key",
      details: { retired: current.map((row) => row.id) },
    });
  });
};

/** A new signer; the previous one keeps verifying for RETIRED_KEY_GRACE_MS. */
export const rotateSigningKey = async (options: { actor: TActor }): Promise<{ kid: string; retired: string[] }> => {
  if (options.actor.kind !== "system" && !options.actor.roles.includes("admin"))
    throw new AppError("FORBIDDEN", "You are not allowed to rotate signing keys.");
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`select pg_advisory_xact_lock(${KEY_LOCK})`;
    const current = await tx.serviceSigningKey.findMany({ where: { retiredAt: null }, select: { id: true } });
    await tx.serviceSigningKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: new Date() } });
    const key = await createKey(tx);
    await appendAuditEvent(tx, {
      actorType: options.actor.kind === "user" ? "USER" : "SYSTEM",
      actorId: actorId(options.actor),
      action: "signing_key.rotate",
      targetType: "signing_key",
      targetId: key.id,
      outcome: "ALLOWED",
      details: { retired: current.map((row) => row.id) },
    });
    return { kid: key.id, retired: current.map((row) => row.id) };
  });
};

/** The keys as of now: published and verifying ones, and the signer if there is one. */
export const loadKeyRing = async (now = new Date()): Promise<TKeyRing> => {
  const rows = await db.serviceSigningKey.findMany({
    where: { OR: [{ retiredAt: null }, { retiredAt: { gt: new Date(now.getTime() - RETIRED_KEY_GRACE_MS) } }] },
    orderBy: { createdAt: "desc" },
  });
  const verifiers = new Map<string, KeyObject>();
  const keys: TPublicJwk[] = [];
  let signer: TKeyRing["signer"] = null;
  for (const row of rows) {
    const jwk = row.publicJwk as TPublicJwk;
    verifiers.set(row.id, createPublicKey({ key: jwk, format: "jwk" }));
    keys.push(jwk);
    if (!signer && !row.retiredAt) {
      const key = decryptPrivateKey(row.privateKeyEncrypted);
      if (key) signer = { kid: row.id, key };
    }
  }
  return { signer, verifiers, jwks: { keys } };
};
