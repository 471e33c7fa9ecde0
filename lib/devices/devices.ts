/**
 * A person's CLI devices: My devices lists and revokes them; deactivation and
 * sign-out-everywhere revoke them all (inside their own transactions); every call to /me
 * resolves the token's device and person afresh, so a revocation counts at the next call.
 */
import { holdsApproverRole } from "../access/eligibility";
import { appendAuditEvent, appendAuditEvents } from "../audit";
import { rolesForGroups, type TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { type Db, db } from "../db";
import { AppError } from "../errors";
import type { TPersonToken } from "./person-tokens";

export type TMyDevice = {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  ip: string | null;
  userAgent: string | null;
};

/** The signed-in person's devices that still stand, newest first. */
export const listMyDevices = async (options: { actor: TUserActor }): Promise<TMyDevice[]> =>
  db.personDevice.findMany({
    where: { userId: options.actor.userId, revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, createdAt: true, lastUsedAt: true, ip: true, userAgent: true },
  });

const NO_SUCH_DEVICE = "No such device.";

/** The owner revokes one device: its refresh tokens go, its access tokens are refused at the next call. */
export const revokeDevice = async (options: {
  actor: TUserActor;
  deviceId: string;
  context?: TAuditContext;
  now?: Date;
}): Promise<void> => {
  const { actor, deviceId, context = {} } = options;
  if (typeof deviceId !== "string" || deviceId.length === 0 || deviceId.length > 64)
    throw new AppError("NOT_FOUND", NO_SUCH_DEVICE);
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    // Scoped by owner in the where: another person's device is answered as a missing one.
    const { count } = await tx.personDevice.updateMany({
      where: { id: deviceId, userId: actor.userId, revokedAt: null },
      data: { revokedAt: now, revokeReason: "revoked by its owner" },
    });
    if (count === 0) throw new AppError("NOT_FOUND", NO_SUCH_DEVICE);
    await tx.deviceRefreshToken.deleteMany({ where: { deviceId } });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "device.revoke",
      targetType: "device",
      targetId: deviceId,
      outcome: "ALLOWED",
      reason: "revoked by its owner",
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      requestId: context.requestId ?? null,
    });
  });
};

/** Inside the caller's transaction (deactivation, sign-out-everywhere): every device of the person. */
export const revokeDevicesOfUser = async (
  tx: Db,
  options: {
    userId: string;
    actorId: string;
    /** USER unless a directory connection or a signals transmitter ends them. */
    actorType?: "USER" | "DIRECTORY" | "SERVICE" | "TRANSMITTER";
    reason: string;
    now: Date;
    audit: { ip: string | null; userAgent: string | null; requestId: string | null };
  },
): Promise<number> => {
  const revoked = await tx.personDevice.updateManyAndReturn({
    where: { userId: options.userId, revokedAt: null },
    data: { revokedAt: options.now, revokeReason: options.reason },
    select: { id: true },
  });
  if (revoked.length === 0) return 0;
  await tx.deviceRefreshToken.deleteMany({ where: { deviceId: { in: revoked.map((device) => device.id) } } });
  await appendAuditEvents(
    tx,
    revoked.map((device) => ({
      actorType: options.actorType ?? ("USER" as const),
      actorId: options.actorId,
      action: "device.revoke",
      targetType: "device",
      targetId: device.id,
      outcome: "ALLOWED" as const,
      reason: options.reason,
      ...options.audit,
    })),
  );
  return revoked.length;
};

/**
 * The person behind a verified token, as the portal's session would make them: refused when
 * the device was revoked or the person deactivated. `sessionId` is the device's id, so risk
 * signals (new device, new address) count the CLI as a device of its own.
 */
export const resolvePersonActor = async (token: TPersonToken): Promise<TUserActor | null> => {
  const device = await db.personDevice.findUnique({
    where: { id: token.deviceId },
    select: {
      revokedAt: true,
      userId: true,
      user: { select: { id: true, email: true, name: true, groups: true, deactivatedAt: true } },
    },
  });
  if (!device || device.revokedAt || device.userId !== token.userId || device.user.deactivatedAt) return null;
  const { user } = device;
  const roles = rolesForGroups(user.groups);
  if (await holdsApproverRole(db, user.groups)) roles.push("approver");
  return {
    kind: "user",
    userId: user.id,
    sessionId: token.deviceId,
    email: user.email,
    name: user.name,
    groups: user.groups,
    roles,
  };
};
