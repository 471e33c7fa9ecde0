import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db, Prisma } from "../db";

export type THolder = {
  id: string;
  label: string;
  detail: string;
  grants: number;
  minutes: number;
  permissions: string;
  firstStart: Date;
  lastEnd: Date;
};

/**
 * Who held access to a resource in [from, to) (grouped by person), or what a person held
 * (grouped by resource): grants in force at some moment of the range, their minutes inside
 * it, the permissions, and the first start and last end. Security reviewers and admins.
 */
export const listHolders = async (options: {
  actor: TUserActor;
  by: "resource" | "person";
  id: string;
  from: Date;
  to: Date;
  context?: TAuditContext;
}): Promise<THolder[]> => {
  await assertCan(options.actor, "audit.read", undefined, options.context);
  const { from, to } = options;
  const fromTs = Prisma.sql`${from.toISOString()}::timestamp`;
  const toTs = Prisma.sql`${to.toISOString()}::timestamp`;
  const end = Prisma.sql`least(g."expiresAt", coalesce(g."revokedAt", g."expiresAt"))`;
  const [scope, group] =
    options.by === "resource"
      ? [
          Prisma.sql`g."resourceId" in (select id from "Resource" where key = ${options.id})`,
          Prisma.sql`s.id, s.name, s.email`,
        ]
      : [Prisma.sql`g."subjectId" = ${options.id}`, Prisma.sql`res.id, res.key, res.name`];
  const rows = await db.$queryRaw<
    Array<{
      id: string;
      label: string;
      detail: string;
      grants: bigint;
      minutes: number | null;
      permissions: string | null;
      firstStart: Date;
      lastEnd: Date;
    }>
  >`
    select ${options.by === "resource" ? Prisma.sql`s.id, s.name as label, s.email as detail` : Prisma.sql`res.key as id, res.name as label, res.key as detail`},
           count(*) as grants,
           sum(extract(epoch from (least(${end}, ${toTs}) - greatest(g."startsAt", ${fromTs}))) / 60)::float8 as minutes,
           string_agg(distinct array_to_string(g.permissions, '+'), ', ') as permissions,
           min(g."startsAt") as "firstStart", max(${end}) as "lastEnd"
    from "Grant" g
    join "User" s on s.id = g."subjectId"
    join "Resource" res on res.id = g."resourceId"
    where ${scope} and g."startsAt" < ${toTs} and ${end} > ${fromTs}
    group by ${group}
    order by minutes desc nulls last`;
  return rows.map((row) => ({
    ...row,
    grants: Number(row.grants),
    minutes: Math.round(row.minutes ?? 0),
    permissions: row.permissions ?? "",
  }));
};

/** The person a per-person view is about (security reviewers and admins); null if unknown. */
export const getHistoryPerson = async (options: { actor: TUserActor; userId: string; context?: TAuditContext }) => {
  await assertCan(options.actor, "audit.read", undefined, options.context);
  return db.user.findUnique({
    where: { id: options.userId.slice(0, 64) },
    select: { id: true, name: true, email: true },
  });
};
