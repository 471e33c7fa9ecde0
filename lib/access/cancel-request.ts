import { queueChatSync } from "../chat/queue-chat-sync";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { assertCanOnRequest, loadRequestTarget } from "./load-request-target";
import { currentTime } from "../clock";

/** The requester withdraws a pending request. */
export const cancelRequest = async (options: {
  actor: TUserActor;
  requestId: string;
  context?: TAuditContext;
}): Promise<void> => {
  const { actor, requestId, context = {} } = options;
  const target = await loadRequestTarget(db, requestId);
  await assertCanOnRequest(actor, "request.cancel", target, context);
  await db.$transaction(async (tx) => {
    // Conditional on still pending: a decision that landed first wins.
    const { count } = await tx.accessRequest.updateMany({
      where: { id: requestId, requesterId: actor.userId, status: "PENDING" },
      data: { status: "CANCELLED", decidedAt: currentTime() },
    });
    if (count === 0) throw new AppError("CONFLICT", "This request is no longer pending.");
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
