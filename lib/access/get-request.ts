import type { TUserActor } from "../authz";
import { stageViews } from "./stage-view";
import { can } from "../authz";
import { db } from "../db";
import { parseRiskSignals } from "../risk";
import { describeRevocation, grantStatus, type TGrantStatus } from "./grant-status";
import { assertCanOnRequest, loadRequestTarget } from "./load-request-target";
import { usableAuthority } from "./authority";
import { runningDelegationsFor } from "../delegation/list-delegations";
import { withDelegations } from "../delegation/with-delegations";

export type TTimelineEntry = {
  at: Date;
  kind:
    | "submitted"
    | "approved"
    | "denied"
    | "cancelled"
    | "expired"
    | "grant-start"
    | "grant-scheduled"
    | "grant-end"
    | "grant-revoked"
    | "reviewed"
    | "stage-complete"
    | "escalated"
    | "acknowledged";
  text: string;
};

/**
 * One request as its requester, an approver or a security reviewer sees it, with what the
 * viewer may do now and the timeline: submission, each decision (who, when, which passkey),
 * grant start, expiry or revocation.
 */
export const getRequestDetail = async (options: { actor: TUserActor; requestId: string; now?: Date }) => {
  const { requestId } = options;
  const now = options.now ?? new Date();
  // A delegate reads and decides what their delegator could (ADR 0056).
  const actor = await withDelegations(db, options.actor, now);
  const target = await loadRequestTarget(db, requestId);
  await assertCanOnRequest(actor, "request.read", target);
  const request = await db.accessRequest.findUniqueOrThrow({
    where: { id: requestId },
    include: {
      requester: { select: { id: true, name: true, email: true } },
      filedBy: { select: { id: true, name: true } },
      resource: { select: { key: true, name: true, environment: true } },
      policy: { select: { name: true, approvalsRequired: true, approverGroups: true } },
      approvals: {
        orderBy: { createdAt: "asc" },
        include: {
          approver: { select: { name: true, email: true } },
          onBehalfOf: { select: { name: true } },
          passkey: { select: { name: true } },
        },
      },
      grant: { include: { reviewedBy: { select: { name: true } }, revokedBy: { select: { name: true } } } },
    },
  });
  const approvals = request.approvals.filter((approval) => approval.decision === "APPROVE").length;
  const usable = usableAuthority(actor, request);
  const alreadyDecided = usable.refusal !== null && usable.refusal !== "none";
  const grant = request.grant
    ? {
        id: request.grant.id,
        startsAt: request.grant.startsAt,
        expiresAt: request.grant.expiresAt,
        revokedAt: request.grant.revokedAt,
        revokeReason: request.grant.revokeReason,
        ending: request.grant.revokedAt
          ? describeRevocation(
              {
                subjectId: request.grant.subjectId,
                subjectName: request.requester.name,
                revokedById: request.grant.revokedById,
                revokedByName: request.grant.revokedBy?.name ?? null,
                revokeReason: request.grant.revokeReason,
              },
              actor.userId,
            )
          : null,
        status: grantStatus(request.grant, now) as TGrantStatus,
        breakGlass: request.grant.breakGlass,
        reviewedAt: request.grant.reviewedAt,
        reviewComment: request.grant.reviewComment,
      }
    : null;

  const timeline: TTimelineEntry[] = [
    {
      at: request.createdAt,
      kind: "submitted",
      text: request.filedBy
        ? `Submitted by ${request.filedBy.name} for ${request.requester.name}`
        : `Submitted by ${request.requester.name}`,
    },
    ...request.approvals.map((approval) => ({
      at: approval.createdAt,
      kind: approval.decision === "APPROVE" ? ("approved" as const) : ("denied" as const),
      text: `${approval.decision === "APPROVE" ? "Approved" : "Denied"} by ${approval.approver.name}${approval.onBehalfOf ? ` for ${approval.onBehalfOf.name} (delegated)` : ""}${approval.passkey ? ` with passkey “${approval.passkey.name}”` : ""}${approval.comment ? `: ${approval.comment}` : ""}`,
    })),
  ];
  // Stages (ADR 0055): each completed stage, and the escalation of the open one.
  const stages = stageViews(request);
  if (stages.length > 1)
    for (const stage of stages)
      if (stage.completedAt)
        timeline.push({
          at: stage.completedAt,
          kind: "stage-complete",
          text: `Stage ${stage.index + 1} of ${stages.length} (${stage.name}) complete`,
        });
  if (request.escalatedAt)
    timeline.push({
      at: request.escalatedAt,
      kind: "escalated",
      text: `Escalated: ${request.escalationGroups.join(", ")} may decide too`,
    });
  if (request.acknowledgedAt)
    timeline.push({
      at: request.acknowledgedAt,
      kind: "acknowledged",
      text: `Acknowledged by ${request.requester.name}`,
    });
  if (request.status === "CANCELLED" && request.decidedAt)
    timeline.push({ at: request.decidedAt, kind: "cancelled", text: "Cancelled by the requester" });
  if (request.status === "PENDING" && now >= request.decideBy)
    timeline.push({ at: request.decideBy, kind: "expired", text: "Expired: nobody decided in time" });
  if (request.breakGlass && request.decidedAt) {
    timeline.push({
      at: request.decidedAt,
      kind: "approved",
      text: "Taken by break-glass, confirmed with a passkey; security was alerted",
    });
  } else if (request.status === "APPROVED" && request.approvals.length === 0 && request.decidedAt) {
    timeline.push({
      at: request.decidedAt,
      kind: "approved",
      text: "Approved automatically by the policy's auto-approval rule",
    });
  }
  if (grant) {
    timeline.push(
      grant.startsAt <= now
        ? { at: grant.startsAt, kind: "grant-start", text: "Grant started" }
        : { at: grant.startsAt, kind: "grant-scheduled", text: "Grant scheduled to start" },
    );
    if (grant.revokedAt)
      timeline.push({
        at: grant.revokedAt,
        kind: "grant-revoked",
        text: `Grant ${grant.ending ?? "revoked"}`,
      });
    else
      timeline.push({
        at: grant.expiresAt,
        kind: "grant-end",
        text: grant.expiresAt <= now ? "Grant expired" : "Grant expires",
      });
  }
  if (request.grant?.reviewedAt) {
    timeline.push({
      at: request.grant.reviewedAt,
      kind: "reviewed",
      text: `Break-glass reviewed by ${request.grant.reviewedBy?.name ?? "a security reviewer"}: ${request.grant.reviewComment ?? ""}`,
    });
  }
  timeline.sort((a, b) => a.at.getTime() - b.at.getTime());

  const isPending = request.status === "PENDING" && now < request.decideBy;
  // Filed for someone (ADR 0057): nothing starts until they acknowledge it, within the window.
  const awaitingAcknowledgment =
    request.filedById !== null &&
    request.acknowledgedAt === null &&
    now < request.decideBy &&
    (request.status === "PENDING" || (request.status === "APPROVED" && request.grant === null));
  return {
    id: request.id,
    extendsGrantId: request.extendsGrantId,
    submissionId: request.submissionId,
    status: isPending || request.status !== "PENDING" ? request.status : ("EXPIRED" as const),
    requester: request.requester,
    /** The teammate who filed it for the requester (ADR 0057), or null. */
    filedBy: request.filedBy,
    acknowledgedAt: request.acknowledgedAt,
    awaitingAcknowledgment,
    resource: request.resource,
    policy: {
      name: request.policy.name,
      approvalsRequired: stages.reduce((sum, stage) => sum + stage.approvalsRequired, 0),
    },
    /** The chain; one entry for a policy without stages. */
    stages,
    risk: {
      score: request.riskScore,
      signals: parseRiskSignals(request.riskSignals),
      extraApprovals: request.extraApprovals,
    },
    breakGlass: request.breakGlass,
    permissions: request.permissions,
    justification: request.justification,
    ticket: request.ticket,
    durationMinutes: request.durationMinutes,
    requestedStartAt: request.requestedStartAt,
    createdAt: request.createdAt,
    decideBy: request.decideBy,
    approvals,
    decisions: request.approvals.map((approval) => ({
      approver: approval.approver.name,
      onBehalfOf: approval.onBehalfOf?.name ?? null,
      decision: approval.decision,
      comment: approval.comment,
      at: approval.createdAt,
      passkey: approval.passkey?.name ?? null,
    })),
    grant,
    timeline,
    /** Who decides for whom now among this request's deciders (ADR 0056); shown while it is pending. */
    delegations: isPending
      ? (await runningDelegationsFor(target.decidableGroups, now)).map((delegation) => ({
          delegator: delegation.delegator.name,
          delegate: delegation.delegate.name,
          endsAt: delegation.endsAt,
        }))
      : [],
    viewer: {
      canCancel: (isPending || awaitingAcknowledgment) && can(actor, "request.cancel", target),
      canAcknowledge: awaitingAcknowledgment && can(actor, "request.acknowledge", target),
      canDecide: isPending && usable.authority !== null,
      alreadyDecided,
      /** Whom the viewer would decide for, when they decide as someone's delegate. */
      decidingFor: usable.authority?.kind === "delegated" ? usable.authority.delegation.delegatorName : null,
      isRequester: request.requesterId === actor.userId,
      canRevoke: request.grant
        ? can(actor, "grant.revoke", { type: "grant", id: request.grant.id, subjectId: request.grant.subjectId })
        : false,
    },
  };
};
export type TRequestDetail = Awaited<ReturnType<typeof getRequestDetail>>;
