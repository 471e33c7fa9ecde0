/**
 * Service client secrets: 32 random bytes shown once, stored only as an scrypt hash (a slow,
 * salted hash, so a leaked table does not hand out credentials). Verification is constant-time.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

export const CLIENT_SECRET_PREFIX = "jcs_";
// N=2^15 costs ~50-100 ms here: fine for a token endpoint whose tokens live 15 minutes.
const PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

export const generateClientSecret = (): string => `${CLIENT_SECRET_PREFIX}${randomBytes(32).toString("base64url")}`;

const derive = (secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, { ...params, maxmem: 256 * params.N * params.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });

/** `scrypt$N$r$p$<salt>$<hash>` (base64url). */
export const hashClientSecret = async (secret: string): Promise<string> => {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, PARAMS);
  return ["scrypt", PARAMS.N, PARAMS.r, PARAMS.p, salt.toString("base64url"), key.toString("base64url")].join("$");
};

export const verifyClientSecret = async (secret: string, stored: string): Promise<boolean> => {
  const [scheme, n, r, p, saltText, hashText] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !saltText || !hashText) return false;
  const expected = Buffer.from(hashText, "base64url");
  const key = await derive(secret, Buffer.from(saltText, "base64url"), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
};
