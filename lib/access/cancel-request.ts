import { queueChatSync } from "../chat/queue-chat-sync";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { assertCanOnRequest, loadRequestTarget } from "./load-request-target";
import { currentTime } from "../clock";

/**
 * The requester withdraws a pending request; for a request filed for someone (ADR 0057), the
 * filer or that person, also once approved while it waits for the acknowledgment. The other
 * one is told.
 */
export const cancelRequest = async (options: {
  actor: TUserActor;
  requestId: string;
  context?: TAuditContext;
}): Promise<void> => {
  const { actor, requestId, context = {} } = options;
  const target = await loadRequestTarget(db, requestId);
  await assertCanOnRequest(actor, "request.cancel", target, context);
  await db.$transaction(async (tx) => {
    // Conditional on still pending (or approved and still waiting for its acknowledgment): a
    // decision or an acknowledgment that landed first wins.
    const [cancelled] = await tx.accessRequest.updateManyAndReturn({
      where: {
        id: requestId,
        OR: [{ requesterId: actor.userId }, { filedById: actor.userId }],
        AND: [
          {
            OR: [
              { status: "PENDING" },
              { status: "APPROVED", filedById: { not: null }, acknowledgedAt: null, grant: { is: null } },
            ],
          },
        ],
      },
      data: { status: "CANCELLED", decidedAt: currentTime() },
      select: { requesterId: true, filedById: true, permissions: true },
    });
    if (!cancelled) throw new AppError("CONFLICT", "This request is no longer pending.");
    const other = [cancelled.requesterId, cancelled.filedById].filter(
      (id): id is string => id !== null && id !== actor.userId,
    );
    if (cancelled.filedById && other.length > 0)
      await notify(tx, {
        recipients: { userIds: other },
        kind: "request.cancelled",
        title: `Request cancelled: ${cancelled.permissions.join(", ")}`,
        body: `${actor.name} cancelled the request filed for ${cancelled.filedById === actor.userId ? "you" : "them"}.`,
        link: `/requests/${requestId}`,
      });
    await queueChatSync(tx, { requestId });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "request.cancel",
      targetType: "request",
      targetId: requestId,
      outcome: "ALLOWED",
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      requestId: context.requestId ?? null,
    });
  });
};
