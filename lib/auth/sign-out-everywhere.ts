/**
 * Sign-out-everywhere: the person ends every portal session of theirs (this one included) and
 * every CLI device's tokens (lib/devices), in one transaction with its audit events. Sessions
 * and devices are checked in the database on every request and every /me call, so nothing
 * signed in before this is honoured after it; a refresh token of any device is refused.
 */
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { revokeDevicesOfUser } from "../devices/devices";

export const SIGN_OUT_EVERYWHERE_REASON = "signed out everywhere by its owner";

type TSignOutEverywhereOptions = { actor: TUserActor; context?: TAuditContext; now?: Date };

export const signOutEverywhere = async ({
  actor,
  context = {},
  now = new Date(),
}: TSignOutEverywhereOptions): Promise<{ sessionsEnded: number; devicesRevoked: number }> => {
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };
  return db.$transaction(async (tx) => {
    const { count: sessionsEnded } = await tx.session.updateMany({
      where: { userId: actor.userId, revokedAt: null },
      data: { revokedAt: now },
    });
    const devicesRevoked = await revokeDevicesOfUser(tx, {
      userId: actor.userId,
      actorId: actor.userId,
      reason: SIGN_OUT_EVERYWHERE_REASON,
      now,
      audit,
    });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "auth.sign_out_everywhere",
      targetType: "user",
      targetId: actor.userId,
      outcome: "ALLOWED",
      details: { sessionsEnded, devicesRevoked },
      ...audit,
    });
    return { sessionsEnded, devicesRevoked };
  });
};
