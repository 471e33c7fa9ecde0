import { createHash, randomBytes } from "node:crypto";

/**
 * Directory tokens: `jds_` and 32 random bytes. 256 bits of entropy need no slow hash: the
 * table keeps the SHA-256, looked up by its unique index, so every SCIM request costs one
 * indexed read, not an scrypt (ADR 0038). Shown once, never stored in the clear.
 */
export const DIRECTORY_TOKEN_PREFIX = "jds_";

export const generateDirectoryToken = (): string => `${DIRECTORY_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;

export const hashDirectoryToken = (token: string): string => createHash("sha256").update(token).digest("hex");
