import { describeRevocation, grantStatus, type TGrantStatus } from "../access/grant-status";
import { db, Prisma, type Db } from "../db";
import type { THistoryFilter } from "./schemas";

export type TGrantHistoryRow = {
  id: string;
  subjectId: string;
  subjectName: string;
  subjectEmail: string;
  resourceKey: string;
  resourceName: string;
  environment: string;
  permissions: string[];
  requestId: string | null;
  requestedAt: Date | null;
  decidedAt: Date | null;
  requestedMinutes: number | null;
  startsAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedById: string | null;
  revokedByName: string | null;
  revokeReason: string | null;
  justification: string | null;
  ticket: string | null;
  breakGlass: boolean;
  approvers: string[];
  /** How many extensions were approved. */
  extensions: number;
  status: TGrantStatus;
  /** Minutes the grant was (or has so far been) in force. */
  actualMinutes: number;
  /** In words: how it ended, or that it has not. */
  ending: string;
};

const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const ts = (date: Date) => Prisma.sql`${date.toISOString()}::timestamp`;

/**
 * The `where` of the grant history: every filter is a condition on indexed columns or a
 * semi-join into a small table (users, resources), so a keyset page stays cheap at any size.
 * A grant matches a date range when it was in force at some moment of it.
 */
export const historyConditions = (filter: THistoryFilter, now: Date): Prisma.Sql[] => {
  const conditions: Prisma.Sql[] = [];
  if (filter.person) {
    conditions.push(
      Prisma.sql`g."subjectId" in (select id from "User" where id = ${filter.person} or email ilike ${likePattern(filter.person)} or name ilike ${likePattern(filter.person)})`,
    );
  }
  if (filter.approver) {
    conditions.push(Prisma.sql`exists (select 1 from "Approval" a where a."requestId" = g."requestId" and a.decision = 'APPROVE' and a."approverId" in
      (select id from "User" where id = ${filter.approver} or email ilike ${likePattern(filter.approver)} or name ilike ${likePattern(filter.approver)}))`);
  }
  if (filter.resource)
    conditions.push(Prisma.sql`g."resourceId" in (select id from "Resource" where key = ${filter.resource})`);
  if (filter.environment)
    conditions.push(
      Prisma.sql`g."resourceId" in (select id from "Resource" where environment = ${filter.environment})`,
    );
  const revokedByNow = Prisma.sql`(g."revokedAt" is not null and g."revokedAt" <= ${ts(now)})`;
  if (filter.status === "revoked") conditions.push(revokedByNow);
  if (filter.status === "expired") conditions.push(Prisma.sql`not ${revokedByNow} and g."expiresAt" <= ${ts(now)}`);
  if (filter.status === "scheduled")
    conditions.push(Prisma.sql`not ${revokedByNow} and g."expiresAt" > ${ts(now)} and g."startsAt" > ${ts(now)}`);
  if (filter.status === "active")
    conditions.push(Prisma.sql`not ${revokedByNow} and g."expiresAt" > ${ts(now)} and g."startsAt" <= ${ts(now)}`);
  if (filter.from)
    conditions.push(Prisma.sql`least(g."expiresAt", coalesce(g."revokedAt", g."expiresAt")) > ${ts(filter.from)}`);
  if (filter.to) conditions.push(Prisma.sql`g."startsAt" < ${ts(filter.to)}`);
  if (filter.breakGlass === "yes") conditions.push(Prisma.sql`r."breakGlass"`);
  if (filter.breakGlass === "no") conditions.push(Prisma.sql`coalesce(r."breakGlass", false) = false`);
  // The same expression as the GIN index (prisma/raw-sql.sql), so the index serves it.
  if (filter.q)
    conditions.push(
      Prisma.sql`to_tsvector('english', r.justification) @@ websearch_to_tsquery('english', ${filter.q})`,
    );
  return conditions;
};

type TRawRow = Omit<TGrantHistoryRow, "status" | "actualMinutes" | "ending" | "extensions"> & {
  extensions: bigint | number;
};

const describeEnding = (row: TRawRow, status: TGrantStatus): string => {
  if (status === "revoked") return describeRevocation(row);
  if (status === "expired") return "expired";
  if (status === "scheduled") return "not started";
  return "in force";
};

const finish = (row: TRawRow, now: Date): TGrantHistoryRow => {
  const status = grantStatus(row, now);
  const end = Math.min(row.expiresAt.getTime(), row.revokedAt?.getTime() ?? Infinity, now.getTime());
  return {
    ...row,
    extensions: Number(row.extensions),
    status,
    actualMinutes: Math.max(0, Math.round((end - row.startsAt.getTime()) / 60_000)),
    ending: describeEnding(row, status),
  };
};

/**
 * One keyset page of the grant history, newest first (ids are UUIDv7, so id order is
 * creation order): `after` is the last id of the previous page. Asks for one row more than
 * it returns to know whether another page follows. Callers authorize (lib/history/index.ts).
 */
export const queryGrantHistory = async (options: {
  filter: THistoryFilter;
  limit: number;
  now?: Date;
  client?: Db;
}): Promise<{ rows: TGrantHistoryRow[]; next: string | null }> => {
  const now = options.now ?? new Date();
  const client = options.client ?? db;
  const conditions = historyConditions(options.filter, now);
  if (options.filter.after) conditions.push(Prisma.sql`g.id < ${options.filter.after}`);
  const where = conditions.length > 0 ? Prisma.join(conditions, " and ") : Prisma.sql`true`;
  const raw = await client.$queryRaw<TRawRow[]>`
    select g.id, g."subjectId", s.name as "subjectName", s.email as "subjectEmail",
           res.key as "resourceKey", res.name as "resourceName", res.environment, g.permissions,
           g."requestId", r."createdAt" as "requestedAt", r."decidedAt", r."durationMinutes" as "requestedMinutes",
           g."startsAt", g."expiresAt", g."revokedAt", g."revokedById", rb.name as "revokedByName", g."revokeReason",
           r.justification, r.ticket, coalesce(r."breakGlass", false) as "breakGlass",
           array(select u.name from "Approval" a join "User" u on u.id = a."approverId"
                 where a."requestId" = g."requestId" and a.decision = 'APPROVE' order by a."createdAt") as approvers,
           (select count(*) from "AccessRequest" x where x."extendsGrantId" = g.id and x.status = 'APPROVED') as extensions
    from "Grant" g
    join "User" s on s.id = g."subjectId"
    join "Resource" res on res.id = g."resourceId"
    left join "AccessRequest" r on r.id = g."requestId"
    left join "User" rb on rb.id = g."revokedById"
    where ${where}
    order by g.id desc
    limit ${options.limit + 1}`;
  const rows = raw.slice(0, options.limit).map((row) => finish(row, now));
  return { rows, next: raw.length > options.limit ? (rows.at(-1)?.id ?? null) : null };
};
