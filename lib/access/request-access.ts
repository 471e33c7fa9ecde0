import { appendAuditEvent, recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { createGrantForRequest } from "./create-grant";
import { fieldErrors, ZRequestAccess, type TRequestAccess } from "./schemas";
import { announceAfter } from "../services/feed";

const MIN_DURATION_MINUTES = 5;
const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;
// A start a little in the past (clock skew, a slow form) means "now".
const START_SKEW_MS = 60_000;

export type TRequestResult = { requestId: string; status: "PENDING" | "APPROVED"; grantId: string | null };

/**
 * An engineer asks for permissions on a resource under one policy. Every rule of the policy
 * is checked here, whatever the form did; failures name the field. A second pending request
 * or a live grant for the same resource and permission is refused with the existing one.
 * Auto-approval (policy groups and permissions) creates the grant at once, still audited.
 */
export const requestAccess = async (options: { actor: TUserActor; input: TRequestAccess; context?: TAuditContext; now?: Date }): Promise<TRequestResult> => {
  const { actor, context = {} } = options;
  const now = options.now ?? new Date();
  const parsed = ZRequestAccess.safeParse(options.input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Check the highlighted fields.", fieldErrors(parsed.error));
  const input = parsed.data;
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };

  const policy = await db.accessPolicy.findUnique({
    where: { id: input.policyId },
    include: { resource: { select: { id: true, key: true, permissions: true, archivedAt: true } } },
  });
  const eligible = policy && !policy.resource.archivedAt && actor.groups.some((group) => policy.requesterGroups.includes(group));
  if (!policy || !eligible) {
    await recordAuditEvent({
      actorType: "USER",
      actorId: actor.userId,
      action: "request.create",
      targetType: "policy",
      targetId: input.policyId,
      outcome: "DENIED",
      reason: policy ? "not in the policy's requester groups" : "no such policy",
      ...audit,
    });
    // The same answer whether the policy exists or not: no probing of other teams' policies.
    throw new AppError("FORBIDDEN", "You are not eligible to request this access.");
  }

  const fields: Record<string, string> = {};
  const permissions = [...new Set(input.permissions)].sort();
  const offered = permissions.filter((permission) => policy.permissions.includes(permission) && policy.resource.permissions.includes(permission));
  if (offered.length !== permissions.length) fields.permissions = `This policy offers only: ${policy.permissions.join(", ")}.`;
  if (input.durationMinutes < MIN_DURATION_MINUTES) fields.durationMinutes = `At least ${MIN_DURATION_MINUTES} minutes.`;
  else if (input.durationMinutes > policy.maxDurationMinutes) fields.durationMinutes = `At most ${policy.maxDurationMinutes} minutes under this policy.`;
  const justification = input.justification.trim();
  if (justification.length < policy.minJustificationLength) {
    fields.justification = `Explain why in at least ${policy.minJustificationLength} characters.`;
  }
  const ticket = input.ticket?.trim() || null;
  if (policy.ticketRequired && !ticket) fields.ticket = "A ticket reference is required.";
  else if (ticket && policy.ticketPattern && !new RegExp(policy.ticketPattern).test(ticket)) {
    fields.ticket = `Must match ${policy.ticketPattern}.`;
  }
  let requestedStartAt: Date | null = null;
  if (input.startAt) {
    const start = new Date(input.startAt);
    if (start.getTime() < now.getTime() - START_SKEW_MS) fields.startAt = "The start must not be in the past.";
    else if (start.getTime() > now.getTime() + MAX_SCHEDULE_AHEAD_MS) fields.startAt = "At most 30 days ahead.";
    else if (start > now) requestedStartAt = start;
  }
  if (Object.keys(fields).length > 0) throw new AppError("INVALID_INPUT", "Check the highlighted fields.", fields);

  const autoApprove =
    actor.groups.some((group) => policy.autoApproveGroups.includes(group)) &&
    permissions.every((permission) => policy.autoApprovePermissions.includes(permission));

  return db.$transaction(async (tx) => {
    // One requester, one resource at a time: two concurrent submissions cannot both pass the
    // duplicate check below.
    await tx.$executeRaw`select pg_advisory_xact_lock(hashtext(${`request:${actor.userId}:${policy.resource.id}`}))`;
    const pending = await tx.accessRequest.findFirst({
      where: { requesterId: actor.userId, resourceId: policy.resource.id, status: "PENDING", permissions: { hasSome: permissions } },
      select: { id: true },
    });
    const live = await tx.grant.findFirst({
      where: {
        subjectId: actor.userId,
        resourceId: policy.resource.id,
        permissions: { hasSome: permissions },
        revokedAt: null,
        expiresAt: { gt: now },
      },
      select: { id: true, requestId: true, startsAt: true },
    });
    if (pending || live) {
      const existing = pending?.id ?? live?.requestId ?? null;
      const what = pending ? "a pending request" : live && live.startsAt <= now ? "an active grant" : "a scheduled grant";
      throw new AppError("CONFLICT", `You already have ${what} for this resource and permission.`, existing ? { existing } : {});
    }

    const request = await tx.accessRequest.create({
      data: {
        requesterId: actor.userId,
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
        createdAt: now,
      },
      select: { id: true, requesterId: true, resourceId: true, permissions: true, durationMinutes: true, requestedStartAt: true },
    });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "request.create",
      targetType: "request",
      targetId: request.id,
      outcome: "ALLOWED",
      details: { resource: policy.resource.key, policy: policy.name, permissions, durationMinutes: input.durationMinutes, ticket, scheduledStart: requestedStartAt?.toISOString() ?? null, autoApproved: autoApprove },
      ...audit,
    });
    if (!autoApprove) {
      // Approvers are told; the inbox does not depend on it.
      const approvers = await tx.user.findMany({
        where: { groups: { hasSome: policy.approverGroups }, deactivatedAt: null, id: { not: actor.userId } },
        select: { id: true },
      });
      // Approvers who never signed in have no account yet: nobody to tell, and that is fine.
      if (approvers.length > 0) await notify(tx, {
        recipients: { userIds: approvers.map((approver) => approver.id) },
        kind: "request.waiting",
        title: `${actor.name} asks for ${permissions.join(", ")} on ${policy.resource.key} (${input.durationMinutes} min)`,
        body: `${justification}${ticket ? ` (${ticket})` : ""}`,
        link: `/requests/${request.id}`,
      });
      return { requestId: request.id, status: "PENDING" as const, grantId: null };
    }

    await appendAuditEvent(tx, {
      actorType: "SYSTEM",
      actorId: "auto-approval",
      action: "request.approved",
      targetType: "request",
      targetId: request.id,
      outcome: "ALLOWED",
      reason: "auto-approval rule of the policy",
      details: { policy: policy.name },
    });
    const { grantId } = await createGrantForRequest(tx, { request, now, actor: { type: "SYSTEM", id: "auto-approval" } });
    return { requestId: request.id, status: "APPROVED" as const, grantId };
  }).then(announceAfter);
};
