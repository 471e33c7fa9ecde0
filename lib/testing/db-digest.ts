/**
 * "The database is unchanged after each rejected call": a digest of every table of the
 * schema, taken before and after a call and compared.
 *
 * Left out of the comparison, each for a reason:
 * - columns that change on any request or by the worker, whatever the call did:
 *   `Session.lastSeenAt` (the idle timeout's touch, at most once a minute per session),
 *   the outbox relay's and senders' progress (`OutboxJob.dispatchedAt/attempts/lastError`,
 *   `Notification.emailSentAt/chatSentAt`, `WebhookDelivery.attempts/lastStatus/lastError/
 *   deliveredAt`), since the worker runs during the e2e suite;
 * - rows only a worker writes, whenever its job for an earlier test runs: the warning latch
 *   before a grant ends (`GrantLifecycleEvent` of kind WARNED), and, from the chat worker, every
 *   `ChatMessage` (the Slack messages it posts and edits), and the `SlackUserLink` rows its
 *   e-mail lookup caches (source "email"; a person's own link, source "explicit", is compared);
 * - rows appended to the trail of a refusal, which is audited by design: new `AuditEvent`
 *   rows, and the denial-burst alert's `SecurityAlert`, `Notification` and `OutboxJob` rows;
 *   and the worker's lifecycle notices (and their delivery jobs) about earlier tests' grants.
 *   Rows that existed before are compared like any others; the new ones are returned so the
 *   caller checks them (`refusalTrailProblems`): audit events of a refusal are denials.
 */
import { db } from "../db";

const IGNORED_COLUMNS: Record<string, string[]> = {
  Session: ["lastSeenAt"],
  OutboxJob: ["dispatchedAt", "attempts", "lastError"],
  Notification: ["emailSentAt", "chatSentAt"],
  WebhookDelivery: ["attempts", "lastStatus", "lastError", "deliveredAt"],
};
/** Rows the worker writes in the background, by table: left out of every digest. */
const WORKER_ROWS: Record<string, string> = {
  ChatMessage: "true",
  SlackUserLink: `"source" = 'email'`,
  // The warning latch before a grant's end: only the lifecycle worker writes it, at its time,
  // and it changes nothing else (a refusal that ended a grant would still change `Grant`).
  GrantLifecycleEvent: `"kind" = 'WARNED'`,
};
/** Notices the worker's grant lifecycle and request expiry write (lib/access/lifecycle.ts). */
const WORKER_NOTICE_KINDS = new Set([
  "grant.started",
  "grant.ending",
  "grant.ended",
  "grant.credential_ready",
  "request.expired",
]);
/** Append-only tables of a refusal's trail, with the column that orders them. */
const TRAIL: Record<string, { column: string; type: string }> = {
  AuditEvent: { column: "seq", type: "bigint" },
  SecurityAlert: { column: "createdAt", type: "timestamp(3)" },
  Notification: { column: "createdAt", type: "timestamp(3)" },
  OutboxJob: { column: "id", type: "bigint" },
};

export type TDbSnapshot = { digests: Map<string, string>; trailMarks: Map<string, string> };
export type TTrailRow = Record<string, unknown>;

let tables: string[] | null = null;

const listTables = async (): Promise<string[]> => {
  tables ??= (
    await db.$queryRawUnsafe<Array<{ table_name: string }>>(
      "SELECT table_name::text AS table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY table_name",
    )
  ).map((row) => row.table_name);
  return tables;
};

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

const trailWhere = (table: string, mark: string | undefined, op: "<=" | ">"): string => {
  const trail = TRAIL[table];
  if (!trail || mark === undefined) return "";
  if (mark === "") return op === "<=" ? " WHERE false" : "";
  return ` WHERE ${quote(trail.column)} ${op} ${literal(mark)}::${trail.type}`;
};

/** Row text without the ignored columns, ordered by itself: no assumption about ids. */
const rowExpression = (table: string) => {
  const ignored = IGNORED_COLUMNS[table] ?? [];
  return ignored.reduce((expression, column) => `(${expression} - ${literal(column)})`, "to_jsonb(t)") + "::text";
};

/** A snapshot; `at` (an earlier snapshot's trail marks) compares the same trail rows as it did. */
export const snapshotDb = async (at?: Map<string, string>): Promise<TDbSnapshot> => {
  const names = await listTables();
  const marks = at
    ? [...at].map(([t, mark]) => ({ t, mark }))
    : await db.$queryRawUnsafe<Array<{ t: string; mark: string | null }>>(
        Object.entries(TRAIL)
          .map(
            ([table, { column }]) =>
              `SELECT ${literal(table)} AS t, max(${quote(column)})::text AS mark FROM ${quote(table)}`,
          )
          .join(" UNION ALL "),
      );
  const trailMarks = new Map(marks.map((row) => [row.t, row.mark ?? ""]));
  const selects = names.map((table) => {
    // Trail tables: only the rows that existed at the mark (new ones are the refusal's trail).
    const trail = trailWhere(table, trailMarks.get(table), "<=");
    const worker = WORKER_ROWS[table];
    const where = worker ? `${trail ? `${trail} AND` : " WHERE"} NOT (${worker})` : trail;
    return `SELECT ${literal(table)} AS t, md5(coalesce(string_agg(${rowExpression(table)}, E'\\n' ORDER BY ${rowExpression(table)}), '')) AS d FROM ${quote(table)} t${where}`;
  });
  const rows = await db.$queryRawUnsafe<Array<{ t: string; d: string }>>(selects.join(" UNION ALL "));
  return { digests: new Map(rows.map((row) => [row.t, row.d])), trailMarks };
};

/** Tables whose digest changed between two snapshots (trail tables: only their earlier rows). */
export const changedTables = (before: TDbSnapshot, after: TDbSnapshot): string[] =>
  [...before.digests.keys()].filter((table) => before.digests.get(table) !== after.digests.get(table));

/** The rows appended to each trail table since `before`. */
export const newTrailRows = async (before: TDbSnapshot): Promise<Record<string, TTrailRow[]>> => {
  const out: Record<string, TTrailRow[]> = {};
  for (const table of Object.keys(TRAIL)) {
    const where = trailWhere(table, before.trailMarks.get(table) ?? "", ">");
    out[table] = (
      await db.$queryRawUnsafe<Array<{ row: TTrailRow }>>(`SELECT to_jsonb(t) AS row FROM ${quote(table)} t${where}`)
    ).map((row) => row.row);
  }
  return out;
};

/**
 * After a refused call: what changed beyond the refusal's own trail, as readable problems (none
 * is the pass). New audit events must be denials or failed attempts (or the denial-burst
 * alert); a burst alert's SecurityAlert, Notification and OutboxJob rows
 * come only with that alert's audit event.
 */
export const refusalTrailProblems = async (before: TDbSnapshot): Promise<string[]> => {
  const after = await snapshotDb(before.trailMarks);
  const problems = changedTables(before, after).map((table) => `table ${table} changed`);
  const trail = await newTrailRows(before);
  const audit = trail.AuditEvent ?? [];
  for (const event of audit) {
    // DENIED: an authorization or step-up refusal; ERROR: a failed attempt (a sign-in the IdP
    // callback refused, written by next-auth's logger, possibly just after its response).
    if (event.outcome !== "DENIED" && event.outcome !== "ERROR" && event.action !== "security.alert")
      problems.push(`audit event ${String(event.action)} (${String(event.outcome)}) written`);
  }
  const alerted = audit.some((event) => event.action === "security.alert");
  // The worker's notices about grants of earlier tests (a start, a warning before the end, an
  // end, a request that expired undecided) and their delivery jobs land whenever their job runs,
  // during a refused call too: none of a refusal's making.
  const background = new Set(
    (trail.Notification ?? [])
      .filter((notification) => WORKER_NOTICE_KINDS.has(String(notification.kind)))
      .map((notification) => String(notification.id)),
  );
  trail.Notification = (trail.Notification ?? []).filter((notification) => !background.has(String(notification.id)));
  trail.OutboxJob = (trail.OutboxJob ?? []).filter(
    (job) => !background.has(String((job.payload as { notificationId?: unknown } | null)?.notificationId)),
  );
  for (const table of ["SecurityAlert", "Notification", "OutboxJob"]) {
    if (!alerted && (trail[table]?.length ?? 0) > 0) problems.push(`${trail[table]?.length} ${table} row(s) written`);
  }
  for (const notification of trail.Notification ?? []) {
    if (notification.kind !== "security.denied_burst")
      problems.push(`notification ${String(notification.kind)} written`);
  }
  return problems;
};

/**
 * After an accepted call of an action that takes no input (a passkey challenge, marking one's
 * notices read): only the tables its legitimate call changes may change, and its new audit
 * events are the listed ones (or denials). Anything else it wrote is a problem.
 */
export const acceptedChangeProblems = async (
  before: TDbSnapshot,
  allowed: { tables: string[]; auditActions: string[] },
): Promise<string[]> => {
  const after = await snapshotDb(before.trailMarks);
  const problems = changedTables(before, after)
    .filter((table) => !allowed.tables.includes(table))
    .map((table) => `table ${table} changed`);
  const trail = await newTrailRows(before);
  for (const event of trail.AuditEvent ?? []) {
    const action = String(event.action);
    if (event.outcome !== "DENIED" && event.outcome !== "ERROR" && !allowed.auditActions.includes(action))
      problems.push(`audit event ${action} (${String(event.outcome)}) written`);
  }
  for (const table of ["SecurityAlert", "Notification", "OutboxJob"]) {
    if (!allowed.tables.includes(table) && (trail[table]?.length ?? 0) > 0)
      problems.push(`${trail[table]?.length} ${table} row(s) written`);
  }
  return problems;
};
