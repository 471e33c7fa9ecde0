import { queueChatSync } from "../chat/queue-chat-sync";
import { appendAuditEvent } from "../audit";
import type { TDecisionAuthority, TUserActor } from "../authz";
import type { Db } from "../db";
import { afterCommit } from "../db/after-commit";
import { observeHistogram } from "../metrics/registry";
import { AppError } from "../errors";
import { notify } from "../notify";
import { formatUtc } from "../time";
import { createGrantForRequest } from "./create-grant";
import { applyExtension } from "./apply-extension";
import type { TDecision } from "./schemas";
import { completeStage, stageDetails } from "./advance-stage";
import { requestChain } from "./stages";
import { usableAuthority } from "./authority";

/**
 * Checks that hold both when a step-up is issued and when the decision is recorded, and the
 * authority the actor decides with (ADR 0056): their own, else the first running delegation
 * whose delegator has not decided yet. `authority` is null when the actor has none at all;
 * the caller's `request.decide` check refuses that.
 */
export const assertDecidable = async (tx: Db, options: { actor: TUserActor; requestId: string; now: Date }) => {
  const request = await tx.accessRequest.findUnique({
    where: { id: options.requestId },
    include: {
      policy: { select: { approvalsRequired: true, approverGroups: true } },
      resource: { select: { name: true } },
      approvals: { select: { approverId: true, decision: true, stage: true, onBehalfOfId: true } },
      requester: { select: { deactivatedAt: true } },
    },
  });
  if (!request) throw new AppError("NOT_FOUND", "No such request.");
  // First: deactivation also cancelled the request, and this is the reason that matters.
  if (request.requester.deactivatedAt)
    throw new AppError("CONFLICT", "The person who asked has been deactivated: their requests cannot be decided.");
  if (request.status !== "PENDING")
    throw new AppError("CONFLICT", `This request is already ${request.status.toLowerCase()}.`);
  if (options.now >= request.decideBy)
    throw new AppError("CONFLICT", "This request waited too long for a decision and has expired.");
  // One decision per person per request: this is also what keeps anyone from deciding in two
  // stages of one request (ADR 0055). A decision made as someone's delegate counts as theirs.
  const usable = usableAuthority(options.actor, request);
  if (usable.refusal && usable.refusal !== "none") throw new AppError("CONFLICT", REFUSALS[usable.refusal]);
  return { ...request, authority: usable.authority };
};

const REFUSALS = {
  decided: "You have already decided on this request; another approver must.",
  "decided-for-you": "Your delegate has already decided on this request for you; another approver must.",
  "delegator-decided": "The person you decide for has already decided on this request; another approver must.",
} as const;

/** The audit details and the approval columns of a decision made with this authority. */
const authorityColumns = (authority: TDecisionAuthority | null) => {
  if (!authority) throw new AppError("FORBIDDEN", "You are not allowed to do that.");
  return authority.kind === "own"
    ? { columns: {}, details: {} }
    : {
        columns: { onBehalfOfId: authority.delegation.delegatorId, delegationId: authority.delegation.delegationId },
        details: { onBehalfOfId: authority.delegation.delegatorId, delegationId: authority.delegation.delegationId },
      };
};

export type TDecisionResult = {
  status: "PENDING" | "APPROVED" | "DENIED";
  approvals: number;
  required: number;
  grantId: string | null;
  /** Approved, filed for someone who has not acknowledged it yet: the grant waits for them (ADR 0057). */
  awaitingAcknowledgment?: boolean;
};

type TDecidableRequest = Awaited<ReturnType<typeof assertDecidable>>;

type TRecordDecisionOptions = {
  actor: TUserActor;
  /** As assertDecidable returned it, read after the request row was locked. */
  request: TDecidableRequest;
  decision: TDecision;
  comment: string | null;
  passkeyId: string;
  challengeId: string;
  now: Date;
  audit: { ip: string | null; userAgent: string | null; requestId: string | null };
  /** Added to the decision's audit event (a bundle decision names its submission). */
  details?: Record<string, string>;
};

/**
 * Writes one verified decision, inside the caller's transaction: the approval, its audit
 * event, and when it settles the request, the outcome, the grant (or the extension) and the
 * notices. Shared by single decisions and bundle decisions (ADR 0054), so both follow the
 * same rules.
 */
export const recordDecision = async (tx: Db, options: TRecordDecisionOptions): Promise<TDecisionResult> => {
  const { actor, request, decision, comment, passkeyId, challengeId, now, audit } = options;
  const requestId = request.id;
  const { columns, details } = authorityColumns(request.authority);
  const decider =
    request.authority?.kind === "delegated"
      ? `${actor.name} for ${request.authority.delegation.delegatorName}`
      : actor.name;
  await tx.approval.create({
    data: {
      requestId,
      approverId: actor.userId,
      decision,
      comment,
      passkeyId,
      challengeId,
      createdAt: now,
      stage: request.currentStage,
      ...columns,
    },
  });
  await appendAuditEvent(tx, {
    actorType: "USER",
    actorId: actor.userId,
    action: decision === "APPROVE" ? "request.approve" : "request.deny",
    targetType: "request",
    targetId: requestId,
    outcome: "ALLOWED",
    reason: comment,
    details: { passkeyId, challengeId, ...stageDetails(request), ...details, ...options.details },
    ...audit,
  });

  // The open stage's quorum; the risk rules' extra approvals count in the last stage (ADR 0055).
  const chain = requestChain(request);
  const required = chain[request.currentStage]?.approvalsRequired ?? 1;
  const recordTimeToDecision = () =>
    afterCommit(() =>
      observeHistogram("jit_time_to_decision_seconds", {}, (now.getTime() - request.createdAt.getTime()) / 1000),
    );
  const approvals =
    request.approvals.filter((approval) => approval.decision === "APPROVE" && approval.stage === request.currentStage)
      .length + (decision === "APPROVE" ? 1 : 0);
  if (decision === "DENY") {
    await tx.accessRequest.update({ where: { id: requestId }, data: { status: "DENIED", decidedAt: now } });
    recordTimeToDecision();
    await queueChatSync(tx, { requestId, now });
    await notify(tx, {
      recipients: { userIds: request.filedById ? [request.requesterId, request.filedById] : [request.requesterId] },
      kind: "request.denied",
      title: `Request denied: ${request.permissions.join(", ")} on ${request.resource.name}`,
      body: comment ? `${decider}: ${comment}` : `Denied by ${decider}.`,
      link: `/requests/${requestId}`,
    });
    return { status: "DENIED" as const, approvals, required, grantId: null };
  }
  if (approvals < required) {
    await queueChatSync(tx, { requestId, now });
    return { status: "PENDING" as const, approvals, required, grantId: null };
  }
  if (chain.length > 1) await completeStage(tx, { request, chain, approvals, now });
  // Not the last stage: the next one opened; the grant waits for the last (ADR 0055).
  if (request.currentStage < chain.length - 1) {
    await queueChatSync(tx, { requestId, now });
    return { status: "PENDING" as const, approvals, required, grantId: null };
  }

  await tx.accessRequest.update({ where: { id: requestId }, data: { status: "APPROVED", decidedAt: now } });
  recordTimeToDecision();
  await appendAuditEvent(tx, {
    actorType: "SYSTEM",
    actorId: "approvals",
    action: "request.approved",
    targetType: "request",
    targetId: requestId,
    outcome: "ALLOWED",
    details: { approvals, required },
  });
  if (request.extendsGrantId) {
    const { expiresAt } = await applyExtension(tx, {
      grantId: request.extendsGrantId,
      minutes: request.durationMinutes,
      requestId,
      now,
      actor: { type: "USER", id: actor.userId },
    });
    await notify(tx, {
      recipients: { userIds: [request.requesterId] },
      kind: "request.approved",
      title: `Extension approved: ${request.permissions.join(", ")} on ${request.resource.name}`,
      body: `Your access now ends at ${formatUtc(expiresAt)}.`,
      link: `/requests/${requestId}`,
    });
    await queueChatSync(tx, { requestId, now });
    return { status: "APPROVED" as const, approvals, required, grantId: request.extendsGrantId };
  }
  // Filed for someone who has not acknowledged it: approved, and the grant waits for them (ADR 0057).
  if (request.filedById && !request.acknowledgedAt) {
    await queueChatSync(tx, { requestId, now });
    await notify(tx, {
      recipients: { userIds: [request.requesterId] },
      kind: "request.approved",
      title: `Approved for you: ${request.permissions.join(", ")} on ${request.resource.name}`,
      body: "A teammate asked for this access for you. It starts only when you acknowledge it on the request's page.",
      link: `/requests/${requestId}`,
    });
    await notify(tx, {
      recipients: { userIds: [request.filedById] },
      kind: "request.approved",
      title: `Request approved: ${request.permissions.join(", ")} on ${request.resource.name}`,
      body: "It starts when the person you asked for acknowledges it.",
      link: `/requests/${requestId}`,
    });
    return { status: "APPROVED" as const, approvals, required, grantId: null, awaitingAcknowledgment: true };
  }
  const { grantId, startsAt } = await createGrantForRequest(tx, {
    request,
    now,
    actor: { type: "USER", id: actor.userId },
  });
  const grantTimes = await tx.grant.findUniqueOrThrow({
    where: { id: grantId },
    select: { startsAt: true, expiresAt: true },
  });
  await queueChatSync(tx, { requestId, grant: grantTimes, now });
  await notify(tx, {
    recipients: { userIds: request.filedById ? [request.requesterId, request.filedById] : [request.requesterId] },
    kind: "request.approved",
    title: `Request approved: ${request.permissions.join(", ")} on ${request.resource.name}`,
    body: startsAt > now ? `The access starts at ${formatUtc(startsAt)}.` : "The access is active now.",
    link: `/requests/${requestId}`,
  });
  return { status: "APPROVED" as const, approvals, required, grantId };
};
