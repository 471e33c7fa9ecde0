import { currentTime } from "../clock";
import { runningDelegatesOf } from "../delegation/with-delegations";
import { appendAuditEvent } from "../audit";
import type { Db } from "../db";
import { notify } from "../notify";
import { addOutboxJob } from "../queue/outbox";
import { escalationDue, parseStages, type TStage } from "./stages";

/**
 * Stage bookkeeping inside a decision's transaction (ADR 0055): the audit event of a completed
 * stage, and the opening of the next one (its approvers told, its escalation scheduled).
 */

type TStagedRequest = {
  id: string;
  requesterId: string;
  permissions: string[];
  stages: unknown;
  currentStage: number;
  escalationGroups: string[];
  escalationAfterMinutes: number | null;
  resource: { name: string };
};

/** Stage facts for an audit event's details; none for a request with a single stage. */
export const stageDetails = (request: { stages: unknown; currentStage: number }): Record<string, string> => {
  const stages = parseStages(request.stages);
  const stage = stages[request.currentStage];
  return stage ? { stage: String(request.currentStage + 1), stageName: stage.name } : {};
};

/** The escalation job of one stage of one request: its id names the stage, so each stage gets its own. */
export const escalationJob = (requestId: string, stage: number, runAt: Date) => ({
  name: "request.escalate" as const,
  payload: { requestId },
  jobId: `request.escalate:${requestId}:${stage}`,
  runAt,
});

/**
 * Who is told that these groups may decide: their members and the people those members
 * delegated their approvals to (ADR 0056), never the requester. People who never signed in
 * have no row and are not told.
 */
export const membersOf = async (tx: Db, groups: string[], requesterId: string): Promise<string[]> => {
  if (groups.length === 0) return [];
  const users = await tx.user.findMany({
    where: { groups: { hasSome: groups }, deactivatedAt: null, id: { not: requesterId } },
    select: { id: true },
  });
  const members = users.map((user) => user.id);
  const delegates = await runningDelegatesOf(tx, members, currentTime());
  return [...new Set([...members, ...delegates])].filter((id) => id !== requesterId);
};

type TCompleteStageOptions = { request: TStagedRequest; chain: TStage[]; approvals: number; now: Date };

/** The current stage reached its quorum: audit it and, unless it was the last, open the next. */
export const completeStage = async (tx: Db, options: TCompleteStageOptions): Promise<void> => {
  const { request, chain, approvals, now } = options;
  const index = request.currentStage;
  await appendAuditEvent(tx, {
    actorType: "SYSTEM",
    actorId: "approvals",
    action: "request.stage_completed",
    targetType: "request",
    targetId: request.id,
    outcome: "ALLOWED",
    details: { stage: index + 1, stageName: chain[index]?.name ?? "", approvals, stages: chain.length },
  });
  const next = index + 1;
  const stage = chain[next];
  if (!stage) return;
  const escalateAt = escalationDue(request, now);
  await tx.accessRequest.update({
    where: { id: request.id },
    data: { currentStage: next, stageOpenedAt: now, escalatedAt: null, escalateAt },
  });
  if (escalateAt) await addOutboxJob(tx, escalationJob(request.id, next, escalateAt));
  const approvers = await membersOf(tx, stage.approverGroups, request.requesterId);
  if (approvers.length > 0)
    await notify(tx, {
      recipients: { userIds: approvers },
      kind: "request.waiting",
      title: `Stage ${next + 1} of ${chain.length} (${stage.name}): ${request.permissions.join(", ")} on ${request.resource.name}`,
      body: `Stage ${index + 1} (${chain[index]?.name ?? ""}) approved this request; your stage decides next.`,
      link: `/requests/${request.id}`,
    });
};

/** A new pending request whose policy escalates: its first stage's delayed escalation job. */
export const scheduleFirstEscalation = async (
  tx: Db,
  request: { id: string; escalateAt: Date | null },
): Promise<void> => {
  if (request.escalateAt) await addOutboxJob(tx, escalationJob(request.id, 0, request.escalateAt));
};
