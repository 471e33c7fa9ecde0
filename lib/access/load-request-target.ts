import { can, type TAction, type TTarget, type TUserActor } from "../authz";
import { assertCanOrHide, type TAuditContext } from "../authz/enforce";
import type { Db } from "../db";
import { AppError } from "../errors";

export type TRequestTarget = Extract<TTarget, { type: "request" }>;

const NOT_FOUND = "No such request.";

/** The attributes `can` needs to decide about a request: its requester and approver groups. */
export const loadRequestTarget = async (tx: Db, requestId: string): Promise<TRequestTarget> => {
  const request = await tx.accessRequest.findUnique({
    where: { id: requestId },
    select: { id: true, requesterId: true, policy: { select: { approverGroups: true } } },
  });
  if (!request) throw new AppError("NOT_FOUND", NOT_FOUND);
  return {
    type: "request",
    id: request.id,
    requesterId: request.requesterId,
    approverGroups: request.policy.approverGroups,
  };
};

/**
 * assertCan for a request: someone who may not read it gets the answer a missing id gets
 * (NOT_FOUND), so another person's request id is never confirmed; someone who may read it
 * but not do `action` gets FORBIDDEN. Both are audited.
 */
export const assertCanOnRequest = async (
  actor: TUserActor,
  action: TAction,
  target: TRequestTarget,
  context?: TAuditContext,
): Promise<void> =>
  assertCanOrHide({ actor, action, target, visible: can(actor, "request.read", target), notFound: NOT_FOUND, context });
