/**
 * Break-glass: where a policy allows it, an engineer takes emergency access at once, without
 * waiting for approvers. What makes it safe to offer (docs/decisions/0014-break-glass.md):
 * a passkey step-up bound to this person, the BREAK_GLASS purpose and this policy and these
 * permissions; a justification; a duration bounded by the policy's breakGlassMaxMinutes;
 * security alerted on every channel in the same transaction as the grant; and the grant
 * listed in the Security area until a reviewer signs it off.
 */
import { queueChatSync } from "../chat/queue-chat-sync";
import { z } from "zod";
import { appendAuditEvent, recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError, isAppError } from "../errors";
import { notify } from "../notify";
import { enforceRateLimit } from "../security/rate-limits";
import { admitStepUp, recordStepUpRefusal, startStepUp, verifyStepUp, ZAuthenticationResponse } from "../webauthn";
import { createGrantForRequest } from "./create-grant";
import {
  assessRisk,
  checkRequestFields,
  findLiveGrant,
  loadEligiblePolicy,
  lockRequester,
  riskColumns,
  type TEligiblePolicy,
} from "./request-access";
import { fieldErrors } from "./schemas";
import { currentTime } from "../clock";
import { formatUtc } from "../time";

/** However lax the policy, an emergency is explained in at least this many characters. */
export const BREAK_GLASS_MIN_JUSTIFICATION = 20;
const TARGET_TYPE = "break-glass";

const ZPermissions = z.array(z.string().min(1).max(32)).min(1, "Choose at least one permission.").max(16);

export const ZStartBreakGlass = z.object({ policyId: z.string().min(1).max(64), permissions: ZPermissions }).strict();
export type TStartBreakGlass = z.input<typeof ZStartBreakGlass>;

export const ZBreakGlass = z
  .object({
    policyId: z.string().min(1).max(64),
    permissions: ZPermissions,
    durationMinutes: z.coerce
      .number({ error: "Enter a duration in minutes." })
      .int("Whole minutes only.")
      .positive("Enter a duration in minutes."),
    justification: z.string().max(2000, "At most 2000 characters."),
    ticket: z.string().max(64, "At most 64 characters.").optional(),
    assertion: ZAuthenticationResponse,
  })
  .strict();
export type TBreakGlass = z.input<typeof ZBreakGlass>;

type TAuditMeta = { ip: string | null; userAgent: string | null; requestId: string | null };
const auditMeta = (context: TAuditContext = {}): TAuditMeta => ({
  ip: context.ip ?? null,
  userAgent: context.userAgent ?? null,
  requestId: context.requestId ?? null,
});

/** The step-up is bound to the policy (so its resource) and the exact set of permissions. */
const stepUpTarget = (policyId: string, permissions: string[]) => ({
  targetType: TARGET_TYPE,
  targetId: `${policyId}:${[...new Set(permissions)].sort().join(",")}`,
});

/** An eligible requester of a policy that allows break-glass; otherwise FORBIDDEN, audited. */
const loadBreakGlassPolicy = async (options: {
  actor: TUserActor;
  policyId: string;
  audit: TAuditMeta;
}): Promise<TEligiblePolicy & { breakGlassMaxMinutes: number }> => {
  const policy = await loadEligiblePolicy({ ...options, action: "grant.break_glass" });
  const { breakGlassMaxMinutes } = policy;
  if (policy.breakGlassAllowed && breakGlassMaxMinutes !== null) return { ...policy, breakGlassMaxMinutes };
  await recordAuditEvent({
    actorType: "USER",
    actorId: options.actor.userId,
    action: "grant.break_glass",
    targetType: "policy",
    targetId: policy.id,
    outcome: "DENIED",
    reason: "the policy does not allow break-glass",
    ...options.audit,
  });
  throw new AppError("FORBIDDEN", "This policy does not allow break-glass access.");
};

const invalid = (fields: Record<string, string>) =>
  new AppError("INVALID_INPUT", "Check the highlighted fields.", fields);

/** Step one: a passkey challenge for BREAK_GLASS on this policy and these permissions. */
export const startBreakGlass = async (options: {
  actor: TUserActor;
  input: TStartBreakGlass;
  context?: TAuditContext;
}) => {
  const { actor } = options;
  const parsed = ZStartBreakGlass.safeParse(options.input);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const policy = await loadBreakGlassPolicy({
    actor,
    policyId: parsed.data.policyId,
    audit: auditMeta(options.context),
  });
  const { fields, permissions } = checkRequestFields({
    policy,
    input: {
      permissions: parsed.data.permissions,
      durationMinutes: policy.breakGlassMaxMinutes,
      justification: "",
      ticket: undefined,
    },
    maxDurationMinutes: policy.breakGlassMaxMinutes,
    ticketRequired: false,
  });
  if (fields.permissions) throw invalid({ permissions: fields.permissions });
  return startStepUp({
    actor,
    purpose: "BREAK_GLASS",
    ...stepUpTarget(policy.id, permissions),
    context: options.context,
  });
};

export type TBreakGlassResult = { requestId: string; grantId: string; expiresAt: Date };

/**
 * Step two: verify the passkey assertion and take the access, all in one transaction: the
 * request (APPROVED, breakGlass), the grant (active now, with its lifecycle jobs), the
 * alert to security on every channel, and the audit events. A refused step-up leaves
 * nothing but its audited refusal.
 */
export const takeBreakGlass = async (options: {
  actor: TUserActor;
  input: TBreakGlass;
  context?: TAuditContext;
  now?: Date;
}): Promise<TBreakGlassResult> => {
  const { actor, context } = options;
  const audit = auditMeta(context);
  const parsed = ZBreakGlass.safeParse(options.input);
  if (!parsed.success) {
    const fields = fieldErrors(parsed.error);
    // The assertion is not something a person types: say what to do instead.
    if (Object.keys(fields).some((key) => key.startsWith("assertion")))
      throw new AppError("INVALID_INPUT", "Confirm break-glass with your passkey.", {
        assertion: "A passkey confirmation is required.",
      });
    throw invalid(fields);
  }
  const input = parsed.data;
  // Before anything is read or written: a refused attempt leaves only its audit event.
  await enforceRateLimit({ flow: "break_glass", userId: actor.userId, context, now: options.now });
  const policy = await loadBreakGlassPolicy({ actor, policyId: input.policyId, audit });
  const checked = checkRequestFields({
    policy,
    input,
    maxDurationMinutes: policy.breakGlassMaxMinutes,
    ticketRequired: false,
  });
  const { fields, permissions, justification, ticket } = checked;
  if (!fields.justification && justification.length < BREAK_GLASS_MIN_JUSTIFICATION) {
    fields.justification = `Explain the emergency in at least ${BREAK_GLASS_MIN_JUSTIFICATION} characters.`;
  }
  if (fields.durationMinutes && input.durationMinutes > policy.breakGlassMaxMinutes)
    fields.durationMinutes = `Break-glass lasts at most ${policy.breakGlassMaxMinutes} minutes under this policy.`;
  if (Object.keys(fields).length > 0) throw invalid(fields);
  const target = stepUpTarget(policy.id, permissions);
  const admission = await admitStepUp({ actor, context });

  try {
    return await db.$transaction(async (tx) => {
      const now = options.now ?? currentTime();
      await lockRequester(tx, { userId: actor.userId, resourceId: policy.resource.id });
      const live = await findLiveGrant(tx, { userId: actor.userId, resourceId: policy.resource.id, permissions, now });
      if (live)
        throw new AppError(
          "CONFLICT",
          "You already hold a grant for this resource and permission.",
          live.requestId ? { existing: live.requestId } : {},
        );
      const { passkeyId, challengeId } = await verifyStepUp({
        tx,
        admission,
        actor,
        purpose: "BREAK_GLASS",
        ...target,
        response: input.assertion,
        context,
      });

      // Recorded for the reviewers; no risk rule can stop an emergency, that is the point.
      const risk = await assessRisk(tx, {
        actor,
        policy,
        permissions,
        durationMinutes: input.durationMinutes,
        maxDurationMinutes: policy.breakGlassMaxMinutes,
        audit,
        now,
      });
      const request = await tx.accessRequest.create({
        data: {
          requesterId: actor.userId,
          resourceId: policy.resource.id,
          policyId: policy.id,
          permissions,
          justification,
          ticket,
          durationMinutes: input.durationMinutes,
          status: "APPROVED",
          breakGlass: true,
          decideBy: now,
          decidedAt: now,
          // No risk rule applies to an emergency: the signals are for the reviewers.
          ...riskColumns(risk, audit),
          extraApprovals: 0,
          createdAt: now,
        },
        select: {
          id: true,
          requesterId: true,
          resourceId: true,
          permissions: true,
          durationMinutes: true,
          requestedStartAt: true,
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
          breakGlass: true,
          riskScore: risk.score,
          riskSignals: risk.signals.map((signal) => signal.code),
        },
        ...audit,
      });
      const grant = await createGrantForRequest(tx, {
        request,
        now,
        actor: { type: "USER", id: actor.userId },
        breakGlass: true,
      });
      // The security channel's message, with the post-incident review link, kept up to date.
      await queueChatSync(tx, { requestId: request.id, grant: { startsAt: now, expiresAt: grant.expiresAt }, now });
      // Every channel: in-app and e-mail to each security reviewer, and the chat post.
      await notify(tx, {
        recipients: { security: true },
        kind: "grant.break_glass",
        title: `Break-glass: ${actor.name} took ${permissions.join(", ")} on ${policy.resource.key} for ${input.durationMinutes} min`,
        body: `${justification}${ticket ? ` (${ticket})` : ""}\n\nUntil ${formatUtc(grant.expiresAt)}. Review it after the incident in the Security area.${risk.signals.length > 0 ? `\n\nRisk ${risk.score}: ${risk.signals.map((signal) => signal.reason).join(" ")}` : ""}`,
        link: "/security/break-glass",
      });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "grant.break_glass",
        targetType: "grant",
        targetId: grant.grantId,
        outcome: "ALLOWED",
        reason: justification,
        details: {
          requestId: request.id,
          resource: policy.resource.key,
          permissions,
          durationMinutes: input.durationMinutes,
          passkeyId,
          challengeId,
        },
        ...audit,
      });
      return { requestId: request.id, grantId: grant.grantId, expiresAt: grant.expiresAt };
    });
  } catch (error) {
    if (isAppError(error) && error.code === "FORBIDDEN")
      await recordStepUpRefusal({ actor, purpose: "BREAK_GLASS", ...target, error, context });
    throw error;
  }
};
