import { can, type TAction, type TTarget, type TUserActor } from "../authz";
import { assertCanOrHide, type TAuditContext } from "../authz/enforce";
import type { Db } from "../db";
import { AppError } from "../errors";
import { chainGroups, decidableGroups } from "./stages";

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
  // DECIDABLE_SELECT as one hand-written statement: every request page and decision asks it (issue 16).
  const [row] = await tx.$queryRaw<
    Array<Omit<TDecidableRow, "policy"> & { approverGroups: string[]; approvalsRequired: number }>
  >`
    select r.id, r."requesterId", r."filedById", r.stages, r."extraApprovals", r."currentStage", r."escalatedAt",
      coalesce(r."escalationGroups", '{}') as "escalationGroups", coalesce(p."approverGroups", '{}') as "approverGroups",
      p."approvalsRequired"
      from "AccessRequest" r join "AccessPolicy" p on p.id = r."policyId"
     where r.id = ${requestId}`;
  if (!row) throw new AppError("NOT_FOUND", NOT_FOUND);
  const { approverGroups, approvalsRequired, ...request } = row;
  return requestTargetOf({ ...request, policy: { approverGroups, approvalsRequired } });
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
