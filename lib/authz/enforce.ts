import { recordAuditEvent } from "../audit";
import { AppError } from "../errors";
import { checkDenialBurstSafely } from "./denial-burst";
import { can, type TAction, type TTarget, type TUserActor } from "./index";

export type TAuditContext = { ip?: string | null; userAgent?: string | null; requestId?: string | null };

/**
 * Records a refused authorization decision; every denial is in the audit log. A burst of
 * them by one person alerts security (denial-burst.ts).
 */
export const recordDenial = async (options: {
  actor: TUserActor;
  action: TAction;
  target?: TTarget;
  context?: TAuditContext;
}): Promise<void> => {
  const { actor, action, target, context = {} } = options;
  await recordAuditEvent({
    actorType: "USER",
    actorId: actor.userId,
    action: "authz.denied",
    targetType: target?.type ?? null,
    targetId: target && "id" in target ? target.id : null,
    outcome: "DENIED",
    reason: `not allowed: ${action}`,
    details: { permission: action },
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
    requestId: context.requestId ?? null,
  });
  await checkDenialBurstSafely(actor.userId);
};

/** For domain functions: throw FORBIDDEN (and audit it) unless the actor may do `action`. */
export const assertCan = async (
  actor: TUserActor,
  action: TAction,
  target?: TTarget,
  context?: TAuditContext,
): Promise<void> => {
  if (can(actor, action, target)) return;
  await recordDenial({ actor, action, target, context });
  throw new AppError("FORBIDDEN", "You are not allowed to do that.");
};

/**
 * For objects addressed by id (requests, grants): like assertCan, but when the actor may not
 * even see the target the refusal is NOT_FOUND with the same message a missing id gets, so
 * a refusal never confirms that an id exists. Still audited as `authz.denied`.
 */
export const assertCanOrHide = async (options: {
  actor: TUserActor;
  action: TAction;
  target: TTarget;
  /** Whether the actor may see the target at all (e.g. `can(actor, "request.read", target)`). */
  visible: boolean;
  notFound: string;
  context?: TAuditContext;
}): Promise<void> => {
  const { actor, action, target, context } = options;
  if (can(actor, action, target)) return;
  await recordDenial({ actor, action, target, context });
  if (!options.visible) throw new AppError("NOT_FOUND", options.notFound);
  throw new AppError("FORBIDDEN", "You are not allowed to do that.");
};
