import { appendAuditEvent } from "../audit";
import { queueChatSync } from "../chat/queue-chat-sync";
import { currentTime } from "../clock";
import { db } from "../db";
import { notify } from "../notify";
import { formatUtc } from "../time";
import { membersOf, stageDetails } from "./advance-stage";
import { requestChain } from "./stages";

export type TEscalationOutcome = "escalated" | "not-yet" | "skipped";

/**
 * The open stage of a pending request had no quorum by its escalateAt: the escalation groups
 * are told (in-app, e-mail, chat) and may decide in this stage from now on (ADR 0055). The
 * conditional update is the latch: the delayed job and the sweep may both run, one escalates.
 */
export const escalateRequest = async (options: { requestId: string; now?: Date }): Promise<TEscalationOutcome> => {
  const now = options.now ?? currentTime();
  return db.$transaction(async (tx) => {
    const { count } = await tx.accessRequest.updateMany({
      where: {
        id: options.requestId,
        status: "PENDING",
        escalatedAt: null,
        escalateAt: { lte: now },
        decideBy: { gt: now },
      },
      data: { escalatedAt: now },
    });
    if (count === 0) {
      const row = await tx.accessRequest.findUnique({
        where: { id: options.requestId },
        select: { status: true, escalateAt: true, escalatedAt: true },
      });
      return row?.status === "PENDING" && !row.escalatedAt && row.escalateAt && row.escalateAt > now
        ? "not-yet"
        : "skipped";
    }
    const request = await tx.accessRequest.findUniqueOrThrow({
      where: { id: options.requestId },
      include: {
        resource: { select: { name: true } },
        requester: { select: { name: true } },
        policy: { select: { approverGroups: true, approvalsRequired: true } },
      },
    });
    const stage = requestChain(request)[request.currentStage];
    const minutes = request.escalationAfterMinutes ?? 0;
    await appendAuditEvent(tx, {
      actorType: "SYSTEM",
      actorId: "escalation",
      action: "request.escalated",
      targetType: "request",
      targetId: request.id,
      outcome: "ALLOWED",
      reason: `no decision within ${minutes} minutes`,
      details: {
        ...stageDetails(request),
        escalationGroups: request.escalationGroups,
        escalateAt: request.escalateAt?.toISOString() ?? null,
      },
    });
    const what = `${request.permissions.join(", ")} on ${request.resource.name}`;
    const escalators = await membersOf(tx, request.escalationGroups, request.requesterId);
    if (escalators.length > 0)
      await notify(tx, {
        recipients: { userIds: escalators },
        kind: "request.escalated",
        title: `Escalated to you: ${request.requester.name} asks for ${what}`,
        body: `${stage ? `Stage "${stage.name}" ` : "The request "}had no decision within ${minutes} minutes; you may decide it until ${formatUtc(request.decideBy)}.`,
        link: `/requests/${request.id}`,
      });
    await notify(tx, {
      recipients: { userIds: [request.requesterId] },
      kind: "request.escalated",
      title: `Your request was escalated: ${what}`,
      body: `Nobody decided within ${minutes} minutes, so ${request.escalationGroups.join(", ")} may decide it now.`,
      link: `/requests/${request.id}`,
    });
    await queueChatSync(tx, { requestId: request.id, now });
    return "escalated";
  });
};

/**
 * Redis is losable: every pending request past its escalateAt and not yet escalated is
 * escalated from PostgreSQL, whatever became of its delayed job. Runs on a schedule.
 */
export const escalateDueRequests = async (
  options: { now?: Date; limit?: number } = {},
): Promise<{ escalated: number }> => {
  const now = options.now ?? currentTime();
  const due = await db.accessRequest.findMany({
    where: { status: "PENDING", escalatedAt: null, escalateAt: { lte: now }, decideBy: { gt: now } },
    select: { id: true },
    orderBy: { escalateAt: "asc" },
    take: options.limit ?? 500,
  });
  let escalated = 0;
  for (const { id } of due) if ((await escalateRequest({ requestId: id, now })) === "escalated") escalated += 1;
  return { escalated };
};
