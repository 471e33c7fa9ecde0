import { randomUUID } from "node:crypto";
import { z } from "zod";
import { type Db, db, type Prisma } from "../db";
import { afterCommit } from "../db/after-commit";
import { countAuditEvent } from "../metrics/audit-metrics";
import { storableJson, storableText } from "../storable-text";
import { GENESIS_HASH, hashEvent } from "./canonical";
import { logAuditEvent } from "./log-audit-event";
import { currentTime } from "../clock";

// Every string is made storable (lib/storable-text.ts) before it is hashed, so the row
// PostgreSQL keeps is byte for byte what the hash covers (ADR 0029).
const text = z.string().transform(storableText);
/** Request metadata comes from headers a client controls: cut to size, never refused. */
const cut = (max: number) =>
  z
    .string()
    .nullish()
    .transform((value) => (value === null || value === undefined ? value : storableText(value.slice(0, max))));

export const ZAuditEventInput = z.object({
  actorType: z.enum(["USER", "SERVICE", "SYSTEM", "ANONYMOUS", "DIRECTORY", "TRANSMITTER"]),
  actorId: text.nullish(),
  action: z.string().min(1).max(100).transform(storableText),
  targetType: z.string().max(100).transform(storableText).nullish(),
  targetId: z.string().max(200).transform(storableText).nullish(),
  outcome: z.enum(["ALLOWED", "DENIED", "ERROR"]),
  // Cut to size, never refused, so an odd header or a long comment cannot turn an audited
  // action into an error.
  reason: cut(2000),
  ip: cut(100),
  userAgent: cut(500),
  requestId: cut(100),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type TAuditEventInput = z.input<typeof ZAuditEventInput>;

// One constant key: every writer takes this transaction-scoped lock before reading the
// chain's head, so concurrent writers append one after another and never fork the chain.
const CHAIN_LOCK_KEY = 7_311_001;

/**
 * Appends one event to the hash chain inside the caller's transaction, so the event
 * commits or rolls back with the change it records. Pass a transaction client.
 */
export const appendAuditEvent = async (tx: Db, input: TAuditEventInput): Promise<{ id: string; hash: string }> => {
  const [appended] = await appendAuditEvents(tx, [input]);
  if (!appended) throw new Error("appendAuditEvent: nothing appended");
  return appended;
};

/**
 * Appends events in order, chained one to the next, with one lock, one head read and one
 * insert: for batches (a burst of expiries) that would otherwise queue on the lock per event.
 */
export const appendAuditEvents = async (
  tx: Db,
  inputs: TAuditEventInput[],
): Promise<Array<{ id: string; hash: string }>> => {
  if (inputs.length === 0) return [];
  const events = inputs.map((input) => ZAuditEventInput.parse(input));
  await tx.$executeRaw`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`;
  const head = await tx.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { hash: true } });
  const occurredAt = currentTime();
  let prevHash = head?.hash ?? GENESIS_HASH;
  const rows = events.map((event) => {
    const fields = {
      id: randomUUID(),
      occurredAt,
      actorType: event.actorType,
      actorId: event.actorId ?? null,
      action: event.action,
      targetType: event.targetType ?? null,
      targetId: event.targetId ?? null,
      outcome: event.outcome,
      reason: event.reason ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent ?? null,
      requestId: event.requestId ?? null,
      // Hash what PostgreSQL will store: JSON values only (Dates become strings, undefined goes),
      // every string storable.
      details: storableJson(JSON.parse(JSON.stringify(event.details))) as Record<string, unknown>,
      prevHash,
    };
    const hash = hashEvent(fields);
    prevHash = hash;
    return { ...fields, details: fields.details as Prisma.InputJsonObject, hash };
  });
  // One multi-row INSERT: PostgreSQL assigns seq in row order, so seq order is chain order.
  const inserted = await tx.auditEvent.createManyAndReturn({ data: rows, select: { id: true, seq: true } });
  const seqOf = new Map(inserted.map((row) => [row.id, row.seq]));
  // The log lines and the counters exist only for committed events (lib/db/after-commit.ts).
  afterCommit(() => {
    for (const row of rows) {
      const committed = { ...row, details: row.details as Record<string, unknown>, seq: seqOf.get(row.id) as bigint };
      logAuditEvent(committed);
      countAuditEvent(committed);
    }
  });
  return rows.map((row) => ({ id: row.id, hash: row.hash }));
};

/** For events that record no other change (sign-in failures, denials): own transaction. */
export const recordAuditEvent = (input: TAuditEventInput): Promise<{ id: string; hash: string }> =>
  db.$transaction((tx) => appendAuditEvent(tx, input));
