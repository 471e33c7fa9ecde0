import { appendAuditEvent } from "../audit";
import type { Db } from "../db";
import { AppError } from "../errors";
import { scheduleGrantLifecycle } from "./lifecycle";

/**
 * The grant for an approved request: active now, or scheduled for the requested start.
 * `requestId` is unique on Grant, so a request can never have two grants.
 */
export const createGrantForRequest = async (
  tx: Db,
  options: {
    request: {
      id: string;
      requesterId: string;
      resourceId: string;
      permissions: string[];
      durationMinutes: number;
      requestedStartAt: Date | null;
    };
    now: Date;
    actor: { type: "USER" | "SYSTEM"; id: string };
    /** Taken by break-glass: listed for post-incident review until signed off. */
    breakGlass?: boolean;
  },
): Promise<{ grantId: string; startsAt: Date; expiresAt: Date }> => {
  const { request, now } = options;
  // For share: a deactivation of this person in flight (it locks the row for update) finishes
  // first, and then no grant is made; a deactivation that comes after finds this grant and
  // revokes it (lib/access/end-access-of-user.ts).
  const [subject] = await tx.$queryRaw<Array<{ deactivatedAt: Date | null; deviceSuspendedAt: Date | null }>>`
    select "deactivatedAt", "deviceSuspendedAt" from "User" where id = ${request.requesterId} for share`;
  if (!subject || subject.deactivatedAt)
    throw new AppError("CONFLICT", "This person has been deactivated: no access can be granted to them.");
  // A device-compliance suspension (ADR 0040) holds every new grant until a compliant event.
  if (subject.deviceSuspendedAt)
    throw new AppError("CONFLICT", "This person's device is reported not compliant: no access can be granted to them.");
  const startsAt = request.requestedStartAt && request.requestedStartAt > now ? request.requestedStartAt : now;
  const expiresAt = new Date(startsAt.getTime() + request.durationMinutes * 60_000);
  const grant = await tx.grant.create({
    data: {
      requestId: request.id,
      subjectId: request.requesterId,
      resourceId: request.resourceId,
      permissions: request.permissions,
      startsAt,
      expiresAt,
      breakGlass: options.breakGlass ?? false,
    },
    select: { id: true },
  });
  await appendAuditEvent(tx, {
    actorType: options.actor.type,
    actorId: options.actor.id,
    action: "grant.create",
    targetType: "grant",
    targetId: grant.id,
    outcome: "ALLOWED",
    details: {
      requestId: request.id,
      subjectId: request.requesterId,
      permissions: request.permissions,
      startsAt: startsAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      ...(options.breakGlass ? { breakGlass: true } : {}),
    },
  });
  await scheduleGrantLifecycle(tx, { id: grant.id, startsAt, expiresAt });
  return { grantId: grant.id, startsAt, expiresAt };
};

/**
 * A request approved at submission by its policy's auto-approval rule: the system's
 * `request.approved` event and the grant, in the submission's transaction.
 */
export const approveAutomatically = async (
  tx: Db,
  options: { request: Parameters<typeof createGrantForRequest>[1]["request"]; policyName: string; now: Date },
): Promise<{ grantId: string }> => {
  await appendAuditEvent(tx, {
    actorType: "SYSTEM",
    actorId: "auto-approval",
    action: "request.approved",
    targetType: "request",
    targetId: options.request.id,
    outcome: "ALLOWED",
    reason: "auto-approval rule of the policy",
    details: { policy: options.policyName },
  });
  const { grantId } = await createGrantForRequest(tx, {
    request: options.request,
    now: options.now,
    actor: { type: "SYSTEM", id: "auto-approval" },
  });
  return { grantId };
};
