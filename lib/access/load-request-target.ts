import type { TTarget } from "../authz";
import type { Db } from "../db";
import { AppError } from "../errors";

export type TRequestTarget = Extract<TTarget, { type: "request" }>;

/** The attributes `can` needs to decide about a request: its requester and approver groups. */
export const loadRequestTarget = async (tx: Db, requestId: string): Promise<TRequestTarget> => {
  const request = await tx.accessRequest.findUnique({
    where: { id: requestId },
    select: { id: true, requesterId: true, policy: { select: { approverGroups: true } } },
  });
  if (!request) throw new AppError("NOT_FOUND", "No such request.");
  return { type: "request", id: request.id, requesterId: request.requesterId, approverGroups: request.policy.approverGroups };
};
