import { can, type TAction, type TTarget, type TUserActor } from "../authz";
import { assertCanOrHide, type TAuditContext } from "../authz/enforce";
import type { Db } from "../db";
import { AppError } from "../errors";
import { chainGroups, DECIDABLE_SELECT, decidableGroups } from "./stages";

export type TRequestTarget = Extract<TTarget, { type: "request" }>;

const NOT_FOUND = "No such request.";

/** A request's authorization target from its row (selected with DECIDABLE_SELECT). */
export const requestTargetOf = (request: TDecidableRow): TRequestTarget => ({
  type: "request",
  id: request.id,
  requesterId: request.requesterId,
  filedById: request.filedById,
  approverGroups: chainGroups(request),
  decidableGroups: decidableGroups(request),
});

export type TDecidableRow = Parameters<typeof decidableGroups>[0] & {
  id: string;
  requesterId: string;
  filedById: string | null;
};

/**
 * The attributes `can` needs to decide about a request: its requester, the groups of its
 * chain, and the groups that may decide it now (ADR 0055).
 */
export const loadRequestTarget = async (tx: Db, requestId: string): Promise<TRequestTarget> => {
  const request = await tx.accessRequest.findUnique({ where: { id: requestId }, select: DECIDABLE_SELECT });
  if (!request) throw new AppError("NOT_FOUND", NOT_FOUND);
  return requestTargetOf(request);
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
