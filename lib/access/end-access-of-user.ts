import { queueChatSync } from "../chat/queue-chat-sync";
import { appendAuditEvents } from "../audit";
import type { Db } from "../db";
import { revokeDevicesOfUser } from "../devices/devices";
import { REVOCABLE_GRANT_INCLUDE, revokeGrantInTransaction, type TRevokingActor } from "./revoke-grant-in-transaction";

type TEndAccessOfUserOptions = {
  /** The person being deactivated; their row is locked by the caller. */
  userId: string;
  /** An administrator, or a directory connection (SCIM `active: false` or DELETE). */
  actor: TRevokingActor;
  now: Date;
  audit: { ip: string | null; userAgent: string | null; requestId: string | null };
  /** Deactivation unless given: a Shared Signals event ends access for its own reason (ADR 0040). */
  cause?: TEndAccessCause;
};

/** Why access ends: the audited reason and details, whether CLI devices end too, the notice's verb. */
export type TEndAccessCause = {
  reason: string;
  details: Record<string, unknown>;
  endDevices: boolean;
  /** "<actor> <verb> <person>: their ... ended now", e.g. "deactivated". */
  verb: string;
};

export const DEACTIVATION_REASON = "the person was deactivated";

const DEACTIVATION: TEndAccessCause = {
  reason: DEACTIVATION_REASON,
  details: { deactivation: true },
  endDevices: true,
  verb: "deactivated",
};

/**
 * Everything a deactivated person still had under way ends, inside the deactivating
 * transaction (docs/decisions/0026-rules-hold-for-a-grants-whole-life.md): pending requests and
 * extensions are cancelled (with the requests they filed for a teammate that no grant came of), live and scheduled grants revoked through the same path as an
 * administrator's revocation (so target systems are deprovisioned the same way).
 *
 * Requests go first: cancelling takes their row locks, so a decision in flight finishes
 * before, and the grant it made is then found and revoked below; a decision that comes after
 * finds the request cancelled and its requester deactivated. A grant made by any other path
 * waits on the person's row (createGrantForRequest reads it `for share`) and is refused.
 * Their CLI devices (lib/devices) are revoked too, with their refresh tokens.
 */
export const endAccessOfUser = async (
  tx: Db,
  { userId, actor, now, audit, cause = DEACTIVATION }: TEndAccessOfUserOptions,
): Promise<{ requestsCancelled: number; grantsRevoked: number; devicesRevoked: number }> => {
  // Their command-line devices first: no token of theirs is honoured past this transaction.
  const devicesRevoked = cause.endDevices
    ? await revokeDevicesOfUser(tx, {
        userId,
        actorId: actor.userId,
        actorType: actor.actorType,
        reason: cause.reason,
        now,
        audit,
      })
    : 0;
  // Their own pending requests, and what they filed for a teammate that has not become a grant
  // (pending, or approved and still waiting for the teammate's acknowledgment; ADR 0057).
  const cancelled = await tx.accessRequest.updateManyAndReturn({
    where: {
      OR: [
        { requesterId: userId, status: "PENDING" },
        { filedById: userId, status: "PENDING" },
        { filedById: userId, status: "APPROVED", acknowledgedAt: null },
      ],
    },
    data: { status: "CANCELLED", decidedAt: now },
    select: { id: true, extendsGrantId: true },
  });
  await appendAuditEvents(
    tx,
    cancelled.map((request) => ({
      actorType: actor.actorType ?? ("USER" as const),
      actorId: actor.userId,
      action: "request.cancel",
      targetType: "request",
      targetId: request.id,
      outcome: "ALLOWED" as const,
      reason: cause.reason,
      details: { ...cause.details, ...(request.extendsGrantId ? { extendsGrantId: request.extendsGrantId } : {}) },
      ...audit,
    })),
  );

  for (const request of cancelled) await queueChatSync(tx, { requestId: request.id, now });

  const live = await tx.$queryRaw<Array<{ id: string }>>`
    select id from "Grant"
     where "subjectId" = ${userId} and "revokedAt" is null and "expiresAt" > ${now}::timestamp(3)
     order by id
       for update`;
  const grants = await tx.grant.findMany({
    where: { id: { in: live.map((row) => row.id) } },
    include: REVOCABLE_GRANT_INCLUDE,
    orderBy: { id: "asc" },
  });
  for (const grant of grants) {
    await revokeGrantInTransaction(tx, {
      grant,
      now,
      actor,
      reason: cause.reason,
      details: { ...cause.details, scheduled: grant.startsAt > now },
      notice: `${actor.name} ${cause.verb} ${grant.subject.name}: their ${grant.permissions.join(", ")} on ${grant.resource.name} ${grant.startsAt > now ? "will not start" : "ended now"}.`,
      audit,
    });
  }
  return { requestsCancelled: cancelled.length, grantsRevoked: grants.length, devicesRevoked };
};
