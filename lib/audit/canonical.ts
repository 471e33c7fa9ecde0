import { createHash } from "node:crypto";

/** JSON with object keys sorted at every depth, so equal values hash equally. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
};

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The chain starts from this value; the first event's prevHash. */
export const GENESIS_HASH = "0".repeat(64);

export type TChainedFields = {
  id: string;
  occurredAt: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: unknown;
  prevHash: string;
};

/** An event as stored: the chained fields, its place in the chain and its hash. */
export type TStoredAuditEvent = TChainedFields & { seq: bigint; hash: string };

/**
 * The hash of an event covers exactly these fields, including the previous event's hash.
 * Picked one by one, so a row read back from the database (with `seq` and `hash`) hashes the
 * same as the event that was written.
 */
export const hashEvent = (event: TChainedFields): string =>
  sha256Hex(
    canonicalJson({
      id: event.id,
      occurredAt: event.occurredAt.toISOString(),
      actorType: event.actorType,
      actorId: event.actorId,
      action: event.action,
      targetType: event.targetType,
      targetId: event.targetId,
      outcome: event.outcome,
      reason: event.reason,
      ip: event.ip,
      userAgent: event.userAgent,
      requestId: event.requestId,
      details: event.details,
      prevHash: event.prevHash,
    }),
  );
