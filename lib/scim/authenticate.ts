/**
 * Who is calling the SCIM API: the directory connection its bearer token belongs to. A missing,
 * unknown or revoked token is refused (401, SCIM error body) and counted, not written one event
 * each: anyone outside can send these (docs/decisions/0024-unauthenticated-traffic-is-counted.md).
 */
import { flushProcessAggregator, processAggregator } from "../audit/process-aggregator";
import { db } from "../db";
import { incrementCounter } from "../metrics/registry";
import { ScimError } from "./errors";
import { DIRECTORY_TOKEN_PREFIX, hashDirectoryToken } from "./token";

export type TDirectoryActor = { connectionId: string; issuer: string; name: string; tokenId: string };
export type TScimContext = { ip: string | null; userAgent: string | null; requestId: string | null };

/** Writes the window's aggregate now (tests, shutdown). */
export const flushScimRefusals = (): Promise<void> => flushProcessAggregator("scim.authenticate");

const TOUCH_EVERY_MS = 60_000;

const refuse = (reason: "missing_token" | "invalid_token" | "revoked_token", ip: string | null): never => {
  processAggregator("scim.authenticate", "refused SCIM tokens").record({
    operation: "scim.authenticate",
    clientId: null,
    outcome: "DENIED",
    reason,
    ip,
    targetType: null,
  });
  incrementCounter("jit_unauthenticated_refusals_total", { source: "scim", reason });
  throw new ScimError(401, "A valid directory token is required (Authorization: Bearer <token>).", undefined, {
    "www-authenticate": 'Bearer realm="scim"',
  });
};

export const authenticateDirectory = async (options: {
  authorization: string | null;
  context: TScimContext;
  now?: Date;
}): Promise<TDirectoryActor> => {
  const match = /^Bearer\s+(\S{1,200})$/i.exec(options.authorization?.trim() ?? "");
  const token = match?.[1];
  if (!token) return refuse("missing_token", options.context.ip);
  if (!token.startsWith(DIRECTORY_TOKEN_PREFIX)) return refuse("invalid_token", options.context.ip);
  const row = await db.directoryToken.findUnique({
    where: { hash: hashDirectoryToken(token) },
    select: {
      id: true,
      revokedAt: true,
      lastUsedAt: true,
      connection: { select: { id: true, issuer: true, name: true } },
    },
  });
  if (!row) return refuse("invalid_token", options.context.ip);
  if (row.revokedAt) return refuse("revoked_token", options.context.ip);
  const now = options.now ?? new Date();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
    await db.directoryToken.updateMany({ where: { id: row.id, revokedAt: null }, data: { lastUsedAt: now } });
  }
  return { connectionId: row.connection.id, issuer: row.connection.issuer, name: row.connection.name, tokenId: row.id };
};
