import { recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { checkDenialBurstSafely } from "../authz/denial-burst";
import type { TAuditContext } from "../authz/enforce";
import { isAppError } from "../errors";

/**
 * Audits a refused passkey operation after its transaction rolled back (an event written
 * inside it would have rolled back too). Records AppErrors only; anything else is a bug and
 * is left to the caller's error handling. Never throws over the original error.
 */
export const recordPasskeyRefusal = async (options: {
  actor: TUserActor;
  action: string;
  targetType: string;
  targetId: string;
  error: unknown;
  details?: Record<string, unknown>;
  context?: TAuditContext;
}): Promise<void> => {
  const { actor, error, context = {} } = options;
  if (!isAppError(error)) return;
  try {
    await recordAuditEvent({
      actorType: "USER",
      actorId: actor.userId,
      action: options.action,
      targetType: options.targetType,
      targetId: options.targetId,
      outcome: "DENIED",
      reason: error.message,
      details: { code: error.code, ...error.fields, ...options.details },
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      requestId: context.requestId ?? null,
    });
  } catch (auditError) {
    console.error("could not audit a refused passkey operation:", auditError);
    return;
  }
  await checkDenialBurstSafely(actor.userId);
};

/**
 * For domain functions that call verifyStepUp (approvals, revocations): after their
 * transaction rolled back on a refusal, record it as a denied `webauthn.step_up`.
 */
export const recordStepUpRefusal = (options: {
  actor: TUserActor;
  purpose: string;
  targetType: string;
  targetId: string;
  error: unknown;
  context?: TAuditContext;
}): Promise<void> =>
  recordPasskeyRefusal({ ...options, action: "webauthn.step_up", details: { purpose: options.purpose } });
