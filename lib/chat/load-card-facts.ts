import { db } from "../db";
import { grantStatus } from "../access/grant-status";
import { decidableGroups, requestChain } from "../access/stages";
import type { TCardFacts, TCardState } from "./approval-card";

type TSignal = { reason?: unknown };

/** The card's facts as PostgreSQL has them now: every sync renders the present, never a diff. */
export const loadCardFacts = async (requestId: string, now: Date = new Date()) => {
  const request = await db.accessRequest.findUnique({
    where: { id: requestId },
    include: {
      requester: { select: { name: true } },
      filedBy: { select: { name: true } },
      resource: { select: { name: true, key: true, environment: true, slackChannel: true } },
      policy: { select: { approvalsRequired: true, approverGroups: true } },
      approvals: { select: { decision: true, approver: { select: { name: true } } }, orderBy: { createdAt: "asc" } },
      grant: { select: { id: true, startsAt: true, expiresAt: true, revokedAt: true, breakGlass: true } },
    },
  });
  if (!request) return null;
  let state: TCardState = request.status === "PENDING" ? "pending" : (request.status.toLowerCase() as TCardState);
  if (request.status === "APPROVED" && request.grant) {
    const status = grantStatus(request.grant, now);
    state = status === "scheduled" ? "grant_scheduled" : status === "active" ? "grant_active" : "grant_ended";
  }
  const signals = Array.isArray(request.riskSignals) ? (request.riskSignals as TSignal[]) : [];
  const facts: TCardFacts = {
    requestId: request.id,
    state,
    breakGlass: request.breakGlass,
    requester: request.requester.name,
    filedBy: request.filedBy?.name ?? null,
    resource: request.resource.name,
    environment: request.resource.environment,
    permissions: request.permissions,
    durationMinutes: request.durationMinutes,
    justification: request.justification,
    ticket: request.ticket,
    risk: {
      score: request.riskScore,
      signals: signals.map((signal) => (typeof signal.reason === "string" ? signal.reason : "")).filter(Boolean),
    },
    approvals: {
      by: request.approvals.filter((a) => a.decision === "APPROVE").map((a) => a.approver.name),
      denials: request.approvals.filter((a) => a.decision === "DENY").map((a) => a.approver.name),
      needed: requestChain(request).reduce((sum, stage) => sum + stage.approvalsRequired, 0),
    },
    decideBy: request.decideBy,
    grant: request.grant
      ? {
          startsAt: request.grant.startsAt,
          expiresAt: request.grant.expiresAt,
          endedAt: request.grant.revokedAt ?? (now >= request.grant.expiresAt ? request.grant.expiresAt : null),
        }
      : null,
  };
  return {
    facts,
    requesterId: request.requesterId,
    filedById: request.filedById,
    // Direct messages go to who may decide now: the open stage's groups (ADR 0055).
    approverGroups: decidableGroups(request),
    resourceChannel: request.resource.slackChannel,
    grantId: request.grant?.id ?? null,
  };
};
