import { queueChatSync } from "../chat/queue-chat-sync";
import { appendAuditEvent } from "../audit";
import type { Db, Prisma } from "../db";
import { notify } from "../notify";
import { ACCESS_ENDED_CHANNEL } from "../provisioning/access-ended-channel";
import { cancelScheduledWebhooks, queueGrantWebhooks } from "../webhooks";

export const REVOCABLE_GRANT_INCLUDE = {
  resource: { select: { key: true, name: true } },
  subject: { select: { id: true, name: true } },
} as const;
type TRevocableGrant = Prisma.GrantGetPayload<{ include: typeof REVOCABLE_GRANT_INCLUDE }>;

export type TRevokingActor = {
  userId: string;
  name: string;
  actorType?: "USER" | "DIRECTORY" | "SERVICE" | "TRANSMITTER";
};

type TRevokeInTransactionOptions = {
  /** Locked by the caller (`for update`), not revoked, not yet expired. */
  grant: TRevocableGrant;
  now: Date;
  /**
   * Who revokes: an administrator or security reviewer, or the subject; or a directory
   * connection (`actorType: "DIRECTORY"`, userId its id) deactivating the subject; or a
   * service client (`actorType: "SERVICE"`, userId its id) whose usage signal flagged (ADR 0042).
   */
  actor: TRevokingActor;
  /** Stored on the grant and sent to target systems. */
  reason: string | null;
  /** The audit event's reason (what the person typed), when it differs from `reason`. */
  auditReason?: string | null;
  details: Record<string, unknown>;
  /** The notice's body for the subject and security. */
  notice: string;
  audit: { ip: string | null; userAgent: string | null; requestId: string | null };
};

/**
 * The one way a grant is revoked, inside the caller's transaction: the revocation, its latch,
 * its audit event, the end-of-grant side effects (scheduled start and end deliveries cancelled,
 * `grant.revoked` to target systems) and the notices. Used by an explicit revocation and by
 * deactivating the subject (lib/users/set-user-active.ts), so both deprovision the same way.
 */
export const revokeGrantInTransaction = async (tx: Db, options: TRevokeInTransactionOptions): Promise<void> => {
  const { grant, now, actor, reason } = options;
  await tx.grant.update({
    where: { id: grant.id },
    data: {
      revokedAt: now,
      revokedById: (actor.actorType ?? "USER") === "USER" ? actor.userId : null,
      revokeReason: reason,
    },
  });
  await tx.grantLifecycleEvent.createMany({
    data: [{ grantId: grant.id, kind: "REVOKED", at: now }],
    skipDuplicates: true,
  });
  // Delivered at commit: the workers' end-of-access timers end it in the targets at once (ADR 0060).
  await tx.$executeRaw`select pg_notify(${ACCESS_ENDED_CHANNEL}, ${grant.id})`;
  // Its scheduled start and end will not happen: the target hears `grant.revoked` instead.
  await cancelScheduledWebhooks(tx, { grantId: grant.id, now, reason: "grant revoked" });
  await queueGrantWebhooks(tx, {
    grantId: grant.id,
    eventType: "grant.revoked",
    occurredAt: now,
    data: { reason },
  });
  if (grant.requestId) await queueChatSync(tx, { requestId: grant.requestId, now });
  await notify(tx, {
    recipients: { userIds: [grant.subjectId], security: true },
    kind: "grant.revoked",
    // The holder ending their own grant is not someone taking it away (describeRevocation).
    title: `${actor.userId === grant.subjectId ? "Access ended early" : "Access revoked"}: ${grant.permissions.join(", ")} on ${grant.resource.name}`,
    body: options.notice,
    link: grant.requestId ? `/requests/${grant.requestId}` : "/",
  });
  // Last: the audit event takes the chain's lock, held until commit, so nothing else waits behind
  // this transaction's other writes (a burst of revocations queued on it).
  await appendAuditEvent(tx, {
    actorType: actor.actorType ?? "USER",
    actorId: actor.userId,
    action: "grant.revoke",
    targetType: "grant",
    targetId: grant.id,
    outcome: "ALLOWED",
    reason: options.auditReason === undefined ? reason : options.auditReason,
    details: options.details,
    ...options.audit,
  });
};
