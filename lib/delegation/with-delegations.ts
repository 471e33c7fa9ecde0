import type { TDelegatedAuthority, TUserActor } from "../authz";
import type { Db } from "../db";

/**
 * The person with the delegations that run now (ADR 0056), each with its delegator's groups
 * as they are now: a delegator who left an approver group, or was deactivated, passes
 * nothing on. Delegations do not chain: only the delegator's own groups count.
 */
export const withDelegations = async <TActor extends TUserActor>(
  tx: Db,
  actor: TActor,
  now: Date,
  options: { lock?: boolean } = {},
): Promise<TActor> => {
  // Inside a decision: ending one of these delegations waits until the decision commits.
  if (options.lock)
    await tx.$queryRaw`
      select id from "ApprovalDelegation"
       where "delegateId" = ${actor.userId} and "endedAt" is null and "startsAt" <= ${now} and "endsAt" > ${now}
       for share`;
  // Asked by every approver's page and decision: one hand-written statement (issue 16).
  const rows = await tx.$queryRaw<
    Array<{ id: string; delegatorId: string; delegatorName: string; groups: string[]; deactivatedAt: Date | null }>
  >`
    select d.id, u.id as "delegatorId", u.name as "delegatorName", coalesce(u.groups, '{}') as groups, u."deactivatedAt"
      from "ApprovalDelegation" d join "User" u on u.id = d."delegatorId"
     where d."delegateId" = ${actor.userId} and d."endedAt" is null
       and d."startsAt" <= ${now}::timestamp(3) and d."endsAt" > ${now}::timestamp(3)
     order by d."startsAt" asc`;
  const delegations: TDelegatedAuthority[] = rows
    .filter((row) => row.deactivatedAt === null && row.delegatorId !== actor.userId)
    .map((row) => ({
      delegationId: row.id,
      delegatorId: row.delegatorId,
      delegatorName: row.delegatorName,
      groups: row.groups,
    }));
  return { ...actor, delegations };
};

/** The people deciding for any of these users now: told of what those users would be told. */
export const runningDelegatesOf = async (tx: Db, userIds: string[], now: Date): Promise<string[]> => {
  if (userIds.length === 0) return [];
  const rows = await tx.approvalDelegation.findMany({
    where: {
      delegatorId: { in: userIds },
      endedAt: null,
      startsAt: { lte: now },
      endsAt: { gt: now },
      delegate: { deactivatedAt: null },
    },
    select: { delegateId: true },
  });
  return [...new Set(rows.map((row) => row.delegateId))];
};
