import type { TUserActor } from "../authz";
import { currentTime } from "../clock";
import { db } from "../db";

export type TDelegationState = "scheduled" | "running" | "ended" | "expired";

export type TDelegationView = {
  id: string;
  delegator: { id: string; name: string; email: string | null };
  delegate: { id: string; name: string; email: string | null };
  startsAt: Date;
  endsAt: Date;
  reason: string;
  endedAt: Date | null;
  endedBy: string | null;
  state: TDelegationState;
  /** Decisions the delegate made as the delegator under this delegation. */
  decisions: number;
};

export const delegationState = (
  row: { startsAt: Date; endsAt: Date; endedAt: Date | null },
  now: Date,
): TDelegationState =>
  row.endedAt ? "ended" : now >= row.endsAt ? "expired" : now < row.startsAt ? "scheduled" : "running";

const person = { select: { id: true, name: true, email: true } } as const;

/**
 * A person's delegations, both ways, newest first: what they gave (and may end) and what they
 * received (what they may decide for whom, and until when).
 */
export const listMyDelegations = async (options: { actor: TUserActor; now?: Date }) => {
  const now = options.now ?? currentTime();
  const rows = await db.approvalDelegation.findMany({
    where: { OR: [{ delegatorId: options.actor.userId }, { delegateId: options.actor.userId }] },
    orderBy: { startsAt: "desc" },
    take: 100,
    include: {
      delegator: person,
      delegate: person,
      endedBy: { select: { name: true } },
      _count: { select: { approvals: true } },
    },
  });
  const views: TDelegationView[] = rows.map((row) => ({
    id: row.id,
    delegator: row.delegator,
    delegate: row.delegate,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    reason: row.reason,
    endedAt: row.endedAt,
    endedBy: row.endedBy?.name ?? null,
    state: delegationState(row, now),
    decisions: row._count.approvals,
  }));
  return {
    given: views.filter((view) => view.delegator.id === options.actor.userId),
    received: views.filter((view) => view.delegate.id === options.actor.userId),
  };
};

/**
 * The delegations running now from people who could decide a request with these groups: shown
 * on the request, so everyone involved sees who decides for whom.
 */
export const runningDelegationsFor = async (groups: string[], now: Date) => {
  if (groups.length === 0) return [];
  return db.approvalDelegation.findMany({
    where: {
      endedAt: null,
      startsAt: { lte: now },
      endsAt: { gt: now },
      delegator: { groups: { hasSome: groups }, deactivatedAt: null },
    },
    orderBy: { startsAt: "asc" },
    take: 20,
    select: { endsAt: true, delegator: { select: { name: true } }, delegate: { select: { name: true } } },
  });
};
