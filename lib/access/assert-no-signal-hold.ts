import { recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { db } from "../db";
import { AppError } from "../errors";

type TAssertNoSignalHoldOptions = {
  actor: TUserActor;
  /** The audited action refused: request.create, grant.break_glass, grant.extend, request.decide. */
  action: string;
  audit: { ip: string | null; userAgent: string | null; requestId: string | null };
};

export const SIGN_IN_AGAIN_MESSAGE =
  "Your identity provider reported a change to your sign-in (credentials or assurance level) after you signed in. " +
  "Sign out and sign in again (or run `jit login`) before you request access or decide.";

export const DEVICE_NOT_COMPLIANT_MESSAGE =
  "Your identity provider reports your device as not compliant: requests and new access are suspended " +
  "until it reports the device compliant again.";

/** When the caller signed in: their portal session's start, or their CLI device's sign-in. */
const signedInAt = async (actor: TUserActor): Promise<Date | null> => {
  const session = await db.session.findUnique({
    where: { id: actor.sessionId },
    select: { userId: true, createdAt: true },
  });
  if (session) return session.userId === actor.userId ? session.createdAt : null;
  const device = await db.personDevice.findUnique({
    where: { id: actor.sessionId },
    select: { userId: true, createdAt: true },
  });
  return device?.userId === actor.userId ? device.createdAt : null;
};

/**
 * What a Shared Signals event holds back (ADR 0040), checked before a request, a break-glass,
 * an extension and a decision: after a credential-change or a lowered assurance level, a
 * session (or CLI device) that began before the event may do none of these until the person
 * signs in again; while their device is reported not compliant, they may not ask for access
 * (deciding others' requests stays possible: it grants them nothing). Refusals are audited.
 */
export const assertNoSignalHold = async ({ actor, action, audit }: TAssertNoSignalHoldOptions): Promise<void> => {
  const user = await db.user.findUnique({
    where: { id: actor.userId },
    select: { signInRequiredAfter: true, deviceSuspendedAt: true },
  });
  if (!user) return;
  let reason: string | null = null;
  let message = "";
  if (user.deviceSuspendedAt && action !== "request.decide") {
    reason = "device not compliant (Shared Signals)";
    message = DEVICE_NOT_COMPLIANT_MESSAGE;
  } else if (user.signInRequiredAfter) {
    const started = await signedInAt(actor);
    if (!started || started <= user.signInRequiredAfter) {
      reason = "a new sign-in is required (Shared Signals)";
      message = SIGN_IN_AGAIN_MESSAGE;
    }
  }
  if (!reason) return;
  await recordAuditEvent({
    actorType: "USER",
    actorId: actor.userId,
    action,
    targetType: "user",
    targetId: actor.userId,
    outcome: "DENIED",
    reason,
    ...audit,
  });
  throw new AppError("FORBIDDEN", message);
};
