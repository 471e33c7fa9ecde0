import { firstStageGroups, stageColumns } from "./stages";
import { membersOf, scheduleFirstEscalation } from "./advance-stage";
import { queueChatSync } from "../chat/queue-chat-sync";
import { appendAuditEvent, recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db, type Db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { enforceRateLimit } from "../security/rate-limits";
import { applyRiskRules, computeRiskSignals, gatherRiskFacts, riskScore } from "../risk";
import { applyUsageApprovalDemand, markUsageApprovalDemandConsumed } from "../signals/take-approval-demand";
import { approveAutomatically } from "./create-grant";
import { fieldErrors, ZRequestAccess, type TRequestAccess } from "./schemas";
import { announceAfter } from "../services/feed";
import { currentTime } from "../clock";
import { assertNoSignalHold } from "./assert-no-signal-hold";
import { resolveBeneficiary } from "./on-behalf";

const MIN_DURATION_MINUTES = 5;
const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;
// A start a little in the past (clock skew, a slow form) means "now".
const START_SKEW_MS = 60_000;

const loadPolicy = (policyId: string) =>
  db.accessPolicy.findUnique({
    where: { id: policyId },
    include: { resource: { select: { id: true, key: true, environment: true, permissions: true, archivedAt: true } } },
  });
export type TEligiblePolicy = NonNullable<Awaited<ReturnType<typeof loadPolicy>>>;

/**
 * The policy, if this person is in its requester groups and its resource is live. Otherwise
 * FORBIDDEN, audited, with the same answer whether the policy exists or not: no probing of
 * other teams' policies.
 */
export const loadEligiblePolicy = async (options: {
  actor: TUserActor;
  policyId: string;
  action: string;
  audit: TAuditMeta;
}): Promise<TEligiblePolicy> => {
  const { actor, policyId, audit } = options;
  await assertNoSignalHold({ actor, action: options.action, audit });
  const policy = await loadPolicy(policyId);
  const eligible =
    policy && !policy.resource.archivedAt && actor.groups.some((group) => policy.requesterGroups.includes(group));
  if (policy && eligible) return policy;
  await recordAuditEvent({
    actorType: "USER",
    actorId: actor.userId,
    action: options.action,
    targetType: "policy",
    targetId: policyId,
    outcome: "DENIED",
    reason: policy ? "not in the policy's requester groups" : "no such policy",
    ...audit,
  });
  throw new AppError("FORBIDDEN", "You are not eligible to request this access.");
};

type TAuditMeta = { ip: string | null; userAgent: string | null; requestId: string | null };

/** The policy's rules on permissions, duration, justification and ticket; each failure keyed by its field. */
export const checkRequestFields = (options: {
  policy: TEligiblePolicy;
  input: { permissions: string[]; durationMinutes: number; justification: string; ticket?: string | undefined };
  maxDurationMinutes: number;
  ticketRequired: boolean;
}) => {
  const { policy, input, maxDurationMinutes } = options;
  const fields: Record<string, string> = {};
  const permissions = [...new Set(input.permissions)].sort();
  const offered = permissions.filter(
    (permission) => policy.permissions.includes(permission) && policy.resource.permissions.includes(permission),
  );
  if (offered.length !== permissions.length)
    fields.permissions = `This policy offers only: ${policy.permissions.join(", ")}.`;
  if (input.durationMinutes < MIN_DURATION_MINUTES)
    fields.durationMinutes = `At least ${MIN_DURATION_MINUTES} minutes.`;
  else if (input.durationMinutes > maxDurationMinutes)
    fields.durationMinutes = `At most ${maxDurationMinutes} minutes under this policy.`;
  const justification = input.justification.trim();
  if (justification.length < policy.minJustificationLength) {
    fields.justification = `Explain why in at least ${policy.minJustificationLength} characters.`;
  }
  const ticket = input.ticket?.trim() || null;
  if (options.ticketRequired && !ticket) fields.ticket = "A ticket reference is required.";
  else if (ticket && policy.ticketPattern && !new RegExp(policy.ticketPattern).test(ticket)) {
    fields.ticket = `Must match ${policy.ticketPattern}.`;
  }
  return { fields, permissions, justification, ticket };
};

/**
 * One requester, one resource at a time: two concurrent submissions (requests, break-glass)
 * cannot both pass the duplicate checks that follow.
 */
export const lockRequester = async (tx: Db, options: { userId: string; resourceId: string }): Promise<void> => {
  await tx.$executeRaw`select pg_advisory_xact_lock(hashtext(${`request:${options.userId}:${options.resourceId}`}))`;
};

/** A grant of this person's on this resource for any of these permissions that has not ended. */
export const findLiveGrant = (
  tx: Db,
  options: { userId: string; resourceId: string; permissions: string[]; now: Date },
) =>
  tx.grant.findFirst({
    where: {
      subjectId: options.userId,
      resourceId: options.resourceId,
      permissions: { hasSome: options.permissions },
      revokedAt: null,
      expiresAt: { gt: options.now },
    },
    select: { id: true, requestId: true, startsAt: true },
  });

/**
 * In the request's transaction, after its per-requester lock: the risk signals, their score
 * and what the policy's risk rules make of it (docs/decisions/0013-risk-signals.md).
 */
export const assessRisk = async (
  tx: Db,
  options: {
    actor: TUserActor;
    policy: TEligiblePolicy;
    permissions: string[];
    durationMinutes: number;
    maxDurationMinutes: number;
    audit: TAuditMeta;
    now: Date;
  },
) => {
  const { policy } = options;
  const facts = await gatherRiskFacts(tx, {
    userId: options.actor.userId,
    sessionId: options.actor.sessionId,
    resource: policy.resource,
    permissions: options.permissions,
    durationMinutes: options.durationMinutes,
    maxDurationMinutes: options.maxDurationMinutes,
    ip: options.audit.ip,
    userAgent: options.audit.userAgent,
    now: options.now,
  });
  const signals = computeRiskSignals(facts);
  const score = riskScore(signals);
  return { signals, score, ...applyRiskRules(policy, score) };
};

/** What a new request stores of its risk assessment and its source (headers cut to size). */
export const riskColumns = (risk: Awaited<ReturnType<typeof assessRisk>>, audit: TAuditMeta) => ({
  riskSignals: risk.signals,
  riskScore: risk.score,
  extraApprovals: risk.extraApprovals,
  sourceIp: audit.ip?.slice(0, 100) ?? null,
  userAgent: audit.userAgent?.slice(0, 500) ?? null,
});

export type TRequestResult = { requestId: string; status: "PENDING" | "APPROVED"; grantId: string | null };

/**
 * An engineer asks for permissions on a resource under one policy. Every rule of the policy
 * is checked here, whatever the form did; failures name the field. A second pending request
 * or a live grant for the same resource and permission is refused with the existing one.
 * Auto-approval (policy groups and permissions) creates the grant at once, still audited.
 * Risk signals are computed in the same transaction and stored on the request; at the
 * policy's risk threshold they can add approvals and hold back auto-approval (ADR 0013).
 * Past the request limits (per person and per IP) RATE_LIMITED, with nothing written but the
 * lockout's one audit event.
 */
export const requestAccess = async (options: {
  actor: TUserActor;
  input: TRequestAccess;
  context?: TAuditContext;
  now?: Date;
}): Promise<TRequestResult> => {
  const { actor, context = {} } = options;
  const now = options.now ?? currentTime();
  const parsed = ZRequestAccess.safeParse(options.input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Check the highlighted fields.", fieldErrors(parsed.error));
  const input = parsed.data;
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };

  await enforceRateLimit({ flow: "request.create", userId: actor.userId, context, now });
  const policy = await loadEligiblePolicy({ actor, policyId: input.policyId, action: "request.create", audit });
  // For a teammate (ADR 0057): the request and its grant are theirs; the filer is recorded.
  const beneficiary = input.onBehalfOfEmail
    ? await resolveBeneficiary({ actor, email: input.onBehalfOfEmail, policy })
    : null;
  const subjectId = beneficiary?.userId ?? actor.userId;
  const { fields, permissions, justification, ticket } = checkRequestFields({
    policy,
    input,
    maxDurationMinutes: policy.maxDurationMinutes,
    ticketRequired: policy.ticketRequired,
  });
  let requestedStartAt: Date | null = null;
  if (input.startAt) {
    const start = new Date(input.startAt);
    if (start.getTime() < now.getTime() - START_SKEW_MS) fields.startAt = "The start must not be in the past.";
    else if (start.getTime() > now.getTime() + MAX_SCHEDULE_AHEAD_MS) fields.startAt = "At most 30 days ahead.";
    else if (start > now) requestedStartAt = start;
  }
  if (Object.keys(fields).length > 0) throw new AppError("INVALID_INPUT", "Check the highlighted fields.", fields);

  // A request filed for someone always goes to people: nobody is auto-approved for someone else.
  const autoApproveRule =
    !beneficiary &&
    actor.groups.some((group) => policy.autoApproveGroups.includes(group)) &&
    permissions.every((permission) => policy.autoApprovePermissions.includes(permission));

  return db
    .$transaction(async (tx) => {
      await lockRequester(tx, { userId: subjectId, resourceId: policy.resource.id });
      const pending = await tx.accessRequest.findFirst({
        where: {
          requesterId: subjectId,
          resourceId: policy.resource.id,
          status: "PENDING",
          permissions: { hasSome: permissions },
        },
        select: { id: true },
      });
      const live = await findLiveGrant(tx, { userId: subjectId, resourceId: policy.resource.id, permissions, now });
      if (pending || live) {
        const existing = pending?.id ?? live?.requestId ?? null;
        const what = pending
          ? "a pending request"
          : live && live.startsAt <= now
            ? "an active grant"
            : "a scheduled grant";
        throw new AppError(
          "CONFLICT",
          `${beneficiary ? `${beneficiary.name} already has` : "You already have"} ${what} for this resource and permission.`,
          existing ? { existing } : {},
        );
      }
      const assessed = await assessRisk(tx, {
        actor,
        policy,
        permissions,
        durationMinutes: input.durationMinutes,
        maxDurationMinutes: policy.maxDurationMinutes,
        audit,
        now,
      });
      // A flagged usage signal may owe this person's next request one more approval (ADR 0042):
      // this request takes it, people decide, and the approvers see why.
      const { risk, demand } = await applyUsageApprovalDemand(tx, {
        userId: subjectId,
        resourceId: policy.resource.id,
        now,
        assessed,
      });
      const autoApprove = autoApproveRule && !risk.blocksAutoApproval;

      const request = await tx.accessRequest.create({
        data: {
          requesterId: subjectId,
          ...(beneficiary ? { filedById: actor.userId } : {}),
          resourceId: policy.resource.id,
          policyId: policy.id,
          permissions,
          justification,
          ticket,
          durationMinutes: input.durationMinutes,
          requestedStartAt,
          status: autoApprove ? "APPROVED" : "PENDING",
          decideBy: new Date(now.getTime() + policy.decisionWindowMinutes * 60_000),
          decidedAt: autoApprove ? now : null,
          ...riskColumns(risk, audit),
          ...stageColumns(policy, now, !autoApprove),
          createdAt: now,
        },
        select: {
          id: true,
          requesterId: true,
          resourceId: true,
          permissions: true,
          durationMinutes: true,
          requestedStartAt: true,
          escalateAt: true,
        },
      });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "request.create",
        targetType: "request",
        targetId: request.id,
        outcome: "ALLOWED",
        details: {
          resource: policy.resource.key,
          policy: policy.name,
          permissions,
          durationMinutes: input.durationMinutes,
          ticket,
          scheduledStart: requestedStartAt?.toISOString() ?? null,
          autoApproved: autoApprove,
          riskScore: risk.score,
          riskSignals: risk.signals.map((signal) => signal.code),
          riskThresholdReached: risk.reached,
          extraApprovals: risk.extraApprovals,
          ...(autoApproveRule && !autoApprove ? { autoApprovalBlockedByRisk: true } : {}),
          ...(demand ? { usageApprovalDemandId: demand.id } : {}),
          ...(beneficiary ? { forUserId: beneficiary.userId } : {}),
        },
        ...audit,
      });
      if (beneficiary)
        await notify(tx, {
          recipients: { userIds: [beneficiary.userId] },
          kind: "request.filed_for_you",
          title: `${actor.name} asked for ${permissions.join(", ")} on ${policy.resource.key} for you`,
          body: `${justification}\n\nNothing starts until you acknowledge it on the request's page, and until it is approved.`,
          link: `/requests/${request.id}`,
        });
      if (demand) await markUsageApprovalDemandConsumed(tx, { demandId: demand.id, requestId: request.id });
      if (!autoApprove) {
        // Approvers are told; the inbox does not depend on it.
        // Approvers who never signed in have no account yet: nobody to tell, and that is fine.
        const approvers = (await membersOf(tx, firstStageGroups(policy), subjectId)).filter(
          (id) => id !== actor.userId,
        );
        if (approvers.length > 0)
          await notify(tx, {
            recipients: { userIds: approvers },
            kind: "request.waiting",
            title: `${actor.name} asks for ${permissions.join(", ")} on ${policy.resource.key}${beneficiary ? ` for ${beneficiary.name}` : ""} (${input.durationMinutes} min)`,
            body: `${justification}${ticket ? ` (${ticket})` : ""}${risk.signals.length > 0 ? `\n\nRisk ${risk.score}: ${risk.signals.map((signal) => signal.reason).join(" ")}` : ""}`,
            link: `/requests/${request.id}`,
          });
        await scheduleFirstEscalation(tx, request);
        // The chat messages (Slack, Teams) go to channels and linked approvers even when
        // nobody has an account yet.
        await queueChatSync(tx, { requestId: request.id, now });
        return { requestId: request.id, status: "PENDING" as const, grantId: null };
      }

      const { grantId } = await approveAutomatically(tx, { request, policyName: policy.name, now });
      return { requestId: request.id, status: "APPROVED" as const, grantId };
    })
    .then(announceAfter);
};
