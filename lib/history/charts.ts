import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";

export type THistoryCharts = {
  /** The days charted (UTC, YYYY-MM-DD), oldest first. */
  days: string[];
  grantsByResource: Array<{ name: string; values: number[] }>;
  /** Median minutes from submission to the final decision, per day (null: no decisions). */
  medianDecisionMinutes: Array<number | null>;
  denials: number[];
  breakGlass: number[];
  topRequesters: Array<{ name: string; count: number }>;
};

const dayKey = (date: Date): string => date.toISOString().slice(0, 10);

/** The Security area's charts over the last `days` days. Security reviewers and admins. */
export const getHistoryCharts = async (options: {
  actor: TUserActor;
  days?: number;
  now?: Date;
  context?: TAuditContext;
}): Promise<THistoryCharts> => {
  await assertCan(options.actor, "audit.read", undefined, options.context);
  const span = Math.min(Math.max(options.days ?? 30, 7), 366);
  const now = options.now ?? new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (span - 1) * 86_400_000);
  const days = Array.from({ length: span }, (_, index) => dayKey(new Date(first.getTime() + index * 86_400_000)));
  const since = first.toISOString();
  const slot = new Map(days.map((day, index) => [day, index]));
  const series = () => days.map(() => 0);

  const [grants, decisions, denials, breakGlass, requesters] = await Promise.all([
    db.$queryRaw<Array<{ day: string; name: string; count: bigint }>>`
      select to_char(g."startsAt", 'YYYY-MM-DD') as day, res.key as name, count(*) as count
      from "Grant" g join "Resource" res on res.id = g."resourceId"
      where g."startsAt" >= ${since}::timestamp and g."startsAt" < ${now.toISOString()}::timestamp group by 1, 2`,
    // Requests a person decided (auto-approvals have no approval rows and would read as 0).
    db.$queryRaw<Array<{ day: string; minutes: number }>>`
      select to_char(r."decidedAt", 'YYYY-MM-DD') as day,
             (percentile_cont(0.5) within group (order by extract(epoch from r."decidedAt" - r."createdAt")) / 60)::float8 as minutes
      from "AccessRequest" r
      where r."decidedAt" >= ${since}::timestamp and r.status in ('APPROVED', 'DENIED')
        and exists (select 1 from "Approval" a where a."requestId" = r.id)
      group by 1`,
    db.$queryRaw<Array<{ day: string; count: bigint }>>`
      select to_char("occurredAt", 'YYYY-MM-DD') as day, count(*) as count from "AuditEvent"
      where "occurredAt" >= ${since}::timestamp and outcome = 'DENIED' group by 1`,
    db.$queryRaw<Array<{ day: string; count: bigint }>>`
      select to_char(g."startsAt", 'YYYY-MM-DD') as day, count(*) as count
      from "Grant" g join "AccessRequest" r on r.id = g."requestId"
      where g."startsAt" >= ${since}::timestamp and r."breakGlass" group by 1`,
    db.$queryRaw<Array<{ name: string; count: bigint }>>`
      select u.name as name, count(*) as count from "AccessRequest" r join "User" u on u.id = r."requesterId"
      where r."createdAt" >= ${since}::timestamp group by u.id, u.name order by count(*) desc, u.name limit 10`,
  ]);

  const byResource = new Map<string, number[]>();
  for (const row of grants) {
    const values = byResource.get(row.name) ?? series();
    const index = slot.get(row.day);
    if (index !== undefined) values[index] = Number(row.count);
    byResource.set(row.name, values);
  }
  const perDay = (rows: Array<{ day: string; count: bigint }>) => {
    const values = series();
    for (const row of rows) {
      const index = slot.get(row.day);
      if (index !== undefined) values[index] = Number(row.count);
    }
    return values;
  };
  const medians: Array<number | null> = days.map(() => null);
  for (const row of decisions) {
    const index = slot.get(row.day);
    if (index !== undefined) medians[index] = Math.round(row.minutes * 10) / 10;
  }
  return {
    days,
    grantsByResource: [...byResource]
      .map(([name, values]) => ({ name, values }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    medianDecisionMinutes: medians,
    denials: perDay(denials),
    breakGlass: perDay(breakGlass),
    topRequesters: requesters.map((row) => ({ name: row.name, count: Number(row.count) })),
  };
};
