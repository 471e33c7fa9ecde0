import type { Db } from "../db";
import { usageExtraApprovalSignal } from "../risk/signals";

/**
 * In a new request's transaction (after the requester's lock): the oldest extra approval a
 * flagged usage signal left owed for this person and resource, consumed by this request so
 * that only the next request needs it (ADR 0042). null when nothing is owed.
 */
export const takeUsageApprovalDemand = async (
  tx: Db,
  options: { userId: string; resourceId: string; now: Date },
): Promise<{ id: string; reason: string } | null> => {
  const demand = await tx.usageApprovalDemand.findFirst({
    where: { userId: options.userId, resourceId: options.resourceId, consumedAt: null },
    orderBy: { createdAt: "asc" },
    select: { id: true, reason: true },
  });
  if (!demand) return null;
  const taken = await tx.usageApprovalDemand.updateMany({
    where: { id: demand.id, consumedAt: null },
    data: { consumedAt: options.now },
  });
  return taken.count === 1 ? demand : null;
};

/** Records which request the demand was consumed by, once that request has its id. */
export const markUsageApprovalDemandConsumed = (tx: Db, options: { demandId: string; requestId: string }) =>
  tx.usageApprovalDemand.update({ where: { id: options.demandId }, data: { consumedById: options.requestId } });

type TAssessed = {
  signals: ReturnType<typeof usageExtraApprovalSignal>[];
  extraApprovals: number;
  blocksAutoApproval: boolean;
};

/**
 * The risk a new request carries once an owed extra approval is taken (a single request and a
 * bundle's item alike): one more approval, no auto-approval, and a signal that says why.
 */
export const applyUsageApprovalDemand = async <T extends TAssessed>(
  tx: Db,
  options: { userId: string; resourceId: string; now: Date; assessed: T },
): Promise<{ risk: T; demand: { id: string; reason: string } | null }> => {
  const { assessed, ...owed } = options;
  const demand = await takeUsageApprovalDemand(tx, owed);
  if (!demand) return { risk: assessed, demand };
  return {
    demand,
    risk: {
      ...assessed,
      signals: [...assessed.signals, usageExtraApprovalSignal(demand.reason)],
      extraApprovals: assessed.extraApprovals + 1,
      blocksAutoApproval: true,
    },
  };
};
