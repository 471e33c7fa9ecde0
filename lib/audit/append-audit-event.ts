import { randomUUID } from "node:crypto";
import { z } from "zod";
import { type Db, db, Prisma } from "../db";
import { afterCommit, beforeCommit } from "../db/after-commit";
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
export const appendAuditEvent = async (tx: Db, input: TAuditEventInput): Promise<{ id: string }> => {
  const [appended] = await appendAuditEvents(tx, [input]);
  if (!appended) throw new Error("appendAuditEvent: nothing appended");
  return appended;
};

type TValidEvent = z.output<typeof ZAuditEventInput> & { id: string };

/**
 * The chain's head as this transaction left it. The chain lock is the transaction's until it
 * ends, so after its first write no other writer can move the head: a second write in the
 * same transaction needs neither the lock nor the read again. Keyed by the transaction
 * client, which lives as long as the transaction.
 */
const headOfTransaction = new WeakMap<object, string>();

/** Events recorded in a transaction that `db.$transaction` opened, written when it closes. */
const recordedInTransaction = new WeakMap<object, TValidEvent[]>();

/** The process's own client is not a transaction: each statement would commit alone. */
const isTransaction = (tx: Db): boolean => !("$transaction" in tx);

/**
 * Appends events in order, chained one to the next. Checked now (a malformed event fails the
 * call), written when the transaction closes (lib/db/after-commit.ts, beforeCommit): every
 * writer takes the chain's lock, so it is taken as late as possible and held for the last
 * statements of the transaction only, not for all its work after the first event (issue 16:
 * under load, writers queued on it). The events of one transaction stay together and in the
 * order they were recorded; their time is when they are written, under the lock, so time
 * follows the chain. In a transaction opened some other way they are written at once.
 */
export const appendAuditEvents = async (tx: Db, inputs: TAuditEventInput[]): Promise<Array<{ id: string }>> => {
  if (inputs.length === 0) return [];
  const events: TValidEvent[] = inputs.map((input) => {
    const event = ZAuditEventInput.parse(input);
    // Taken now, as the caller has it: what PostgreSQL will store and the hash covers is JSON
    // values only (Dates become strings, undefined goes), every string storable.
    const details = storableJson(JSON.parse(JSON.stringify(event.details))) as Record<string, unknown>;
    return { ...event, details, id: randomUUID() };
  });
  const recorded = recordedInTransaction.get(tx);
  if (recorded) recorded.push(...events);
  else if (beforeCommit(tx, () => writeRecorded(tx))) recordedInTransaction.set(tx, events);
  else await writeEvents(tx, events);
  return events.map(({ id }) => ({ id }));
};

const writeRecorded = async (tx: Db): Promise<void> => {
  const events = recordedInTransaction.get(tx) ?? [];
  // An event recorded after this point (by another closing task) starts a new batch.
  recordedInTransaction.delete(tx);
  await writeEvents(tx, events);
};

/**
 * Writes events to the chain with one lock, one head read and one insert. Hand-written SQL,
 * not the model API: every portal write passes here, and a raw statement costs a fraction of
 * the CPU of one the ORM has to compile (docs/bench-load.md, issue 16).
 */
const writeEvents = async (tx: Db, events: TValidEvent[]): Promise<void> => {
  if (events.length === 0) return;
  let prevHash = isTransaction(tx) ? headOfTransaction.get(tx) : undefined;
  if (prevHash === undefined) {
    // The lock first, in a statement of its own: the head is read by the next statement, whose
    // snapshot is taken after the lock is held, so it sees every chain that committed before.
    await tx.$executeRaw`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`;
    const [head] = await tx.$queryRaw<Array<{ hash: string }>>`
      select hash from "AuditEvent" order by seq desc limit 1`;
    prevHash = head?.hash ?? GENESIS_HASH;
  }
  const occurredAt = currentTime();
  const rows = events.map((event) => {
    const fields = {
      id: event.id,
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
      details: event.details,
      prevHash: prevHash as string,
    };
    const hash = hashEvent(fields);
    prevHash = hash;
    return { ...fields, hash };
  });
  // One multi-row INSERT: PostgreSQL assigns seq in row order, so seq order is chain order.
  const inserted = await tx.$queryRaw<Array<{ id: string; seq: bigint }>>`
    insert into "AuditEvent" ("id", "occurredAt", "actorType", "actorId", "action", "targetType", "targetId",
      "outcome", "reason", "ip", "userAgent", "requestId", "details", "prevHash", "hash")
    values ${Prisma.join(
      rows.map(
        (row) => Prisma.sql`(${row.id}, ${row.occurredAt}::timestamp(3), ${row.actorType}::"ActorType", ${row.actorId},
          ${row.action}, ${row.targetType}, ${row.targetId}, ${row.outcome}::"AuditOutcome", ${row.reason}, ${row.ip},
          ${row.userAgent}, ${row.requestId}, ${JSON.stringify(row.details)}::jsonb, ${row.prevHash}, ${row.hash})`,
      ),
    )}
    returning "id", "seq"`;
  if (isTransaction(tx)) headOfTransaction.set(tx, prevHash as string);
  const seqOf = new Map(inserted.map((row) => [row.id, row.seq]));
  // The log lines and the counters exist only for committed events (lib/db/after-commit.ts).
  afterCommit(() => {
    for (const row of rows) {
      const committed = { ...row, seq: seqOf.get(row.id) as bigint };
      logAuditEvent(committed);
      countAuditEvent(committed);
    }
  });
};

/** For events that record no other change (sign-in failures, denials): own transaction. */
export const recordAuditEvent = (input: TAuditEventInput): Promise<{ id: string }> =>
  db.$transaction((tx) => appendAuditEvent(tx, input));
