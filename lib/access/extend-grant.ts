import { firstStageGroups, stageColumns } from "./stages";
import { membersOf, scheduleFirstEscalation } from "./advance-stage";
/**
 * More time on a live grant goes through the grant's own policy, with every rule a request
 * meets (docs/decisions/0026-rules-hold-for-a-grants-whole-life.md): the person must still be
 * eligible and the resource live; the risk signals are computed and the policy's risk rules
 * applied (and a grant whose request was held back from auto-approval by risk is never
 * auto-extended); the same approvers and passkey-confirmed decisions; never beyond the
 * policy's maximum total duration, counted under the grant's lock. When approved
 * (apply-extension.ts) the expiry moves, its jobs move with it, and target systems hear
 * `grant.extended`.
 */
import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { applyRiskRules } from "../risk";
import { enforceRateLimit } from "../security/rate-limits";
import { announceAfter } from "../services/feed";
import { applyExtension, extensionHeadroomMinutes, lockGrantForExtension } from "./apply-extension";
import { assessRisk, loadEligiblePolicy, riskColumns } from "./request-access";
import { fieldErrors } from "./schemas";
import { currentTime } from "../clock";

export { applyExtension, extensionHeadroomMinutes } from "./apply-extension";

export const ZRequestExtension = z
  .object({
    grantId: z.string().min(1).max(64),
    minutes: z.coerce.number({ error: "Enter minutes." }).int("Whole minutes only.").min(5, "At least 5 minutes."),
    justification: z.string().max(2000, "At most 2000 characters."),
  })
  .strict();
export type TRequestExtension = z.input<typeof ZRequestExtension>;

type TRequestExtensionOptions = { actor: TUserActor; input: TRequestExtension; context?: TAuditContext; now?: Date };

const invalid = (fields: Record<string, string>) =>
  new AppError("INVALID_INPUT", "Check the highlighted fields.", fields);

const headroomMessage = (headroom: number, maxDurationMinutes: number) =>
  headroom === 0
    ? `This grant is already at the policy's maximum of ${maxDurationMinutes} minutes.`
    : `At most ${headroom} more minutes under this policy.`;

/** The subject asks for more time on their live grant. */
export const requestExtension = async ({ actor, input: raw, context = {}, now: at }: TRequestExtensionOptions) => {
  const now = at ?? currentTime();
  const parsed = ZRequestExtension.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  // An extension is a request like any other: the same limits.
  await enforceRateLimit({ flow: "request.create", userId: actor.userId, context, now });
  const found = await db.grant.findUnique({
    where: { id: input.grantId },
    select: { id: true, subjectId: true, revokedAt: true, expiresAt: true, request: { select: { policyId: true } } },
  });
  // Someone else's grant is indistinguishable from an unknown one.
  if (!found || found.subjectId !== actor.userId) throw new AppError("NOT_FOUND", "No such grant.");
  if (found.revokedAt || found.expiresAt <= now)
    throw new AppError("CONFLICT", "This grant has ended; request access again.");
  if (!found.request) throw new AppError("CONFLICT", "This grant was not made from a request and cannot be extended.");
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };
  // Still in the policy's requester groups, and the resource not archived: refused and audited otherwise.
  const policy = await loadEligiblePolicy({
    actor,
    policyId: found.request.policyId,
    action: "grant.extension_request",
    audit,
  });
  const justification = input.justification.trim();
  if (justification.length < policy.minJustificationLength)
    throw invalid({ justification: `Explain why in at least ${policy.minJustificationLength} characters.` });
  return db
    .$transaction(async (tx) => {
      await tx.$executeRaw`select pg_advisory_xact_lock(hashtext(${`extend:${found.id}`}))`;
      // Everything below reads the grant as it is under the lock: an extension approved a
      // moment ago counts against the maximum.
      const grant = await lockGrantForExtension(tx, found.id);
      if (grant.revokedAt || grant.expiresAt <= now)
        throw new AppError("CONFLICT", "This grant has ended; request access again.");
      const original = grant.request;
      if (!original) throw new AppError("CONFLICT", "This grant was not made from a request and cannot be extended.");
      const headroom = extensionHeadroomMinutes(grant, policy.maxDurationMinutes);
      if (input.minutes > headroom) throw invalid({ minutes: headroomMessage(headroom, policy.maxDurationMinutes) });
      const pending = await tx.accessRequest.findFirst({
        where: { extendsGrantId: grant.id, status: "PENDING" },
        select: { id: true },
      });
      if (pending)
        throw new AppError("CONFLICT", "An extension of this grant is already waiting for a decision.", {
          existing: pending.id,
        });

      const totalMinutes = Math.ceil((grant.expiresAt.getTime() - grant.startsAt.getTime()) / 60_000) + input.minutes;
      const risk = await assessRisk(tx, {
        actor,
        policy,
        permissions: grant.permissions,
        durationMinutes: totalMinutes,
        maxDurationMinutes: policy.maxDurationMinutes,
        audit,
        now,
      });
      // What held the grant's own request back still holds: briefly approved, then
      // auto-extended to the maximum, would be the way around the risk rule.
      const originalRules = applyRiskRules(policy, original.riskScore);
      const heldBack = risk.blocksAutoApproval || (!original.breakGlass && originalRules.blocksAutoApproval);
      const autoApproveByRule =
        actor.groups.some((group) => policy.autoApproveGroups.includes(group)) &&
        grant.permissions.every((permission) => policy.autoApprovePermissions.includes(permission));
      const autoApprove = autoApproveByRule && !heldBack;
      const extraApprovals = Math.max(risk.extraApprovals, original.breakGlass ? 0 : original.extraApprovals);

      const request = await tx.accessRequest.create({
        data: {
          requesterId: actor.userId,
          resourceId: grant.resourceId,
          policyId: policy.id,
          permissions: grant.permissions,
          justification,
          ticket: original.ticket,
          durationMinutes: input.minutes,
          extendsGrantId: grant.id,
          status: autoApprove ? "APPROVED" : "PENDING",
          decideBy: new Date(
            Math.min(now.getTime() + policy.decisionWindowMinutes * 60_000, grant.expiresAt.getTime()),
          ),
          decidedAt: autoApprove ? now : null,
          ...riskColumns(risk, audit),
          extraApprovals,
          // An extension passes through the same stages as the request it extends (ADR 0055).
          ...stageColumns(policy, now, !autoApprove),
          createdAt: now,
        },
        select: { id: true, escalateAt: true },
      });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "grant.extension_request",
        targetType: "request",
        targetId: request.id,
        outcome: "ALLOWED",
        details: {
          grantId: grant.id,
          minutes: input.minutes,
          autoApproved: autoApprove,
          riskScore: risk.score,
          riskSignals: risk.signals.map((signal) => signal.code),
          riskThresholdReached: risk.reached,
          extraApprovals,
          ...(autoApproveByRule && !autoApprove ? { autoApprovalBlockedByRisk: true } : {}),
          ...(grant.breakGlass ? { breakGlass: true } : {}),
        },
        ...audit,
      });
      if (autoApprove) {
        await applyExtension(tx, {
          grantId: grant.id,
          minutes: input.minutes,
          requestId: request.id,
          now,
          actor: { type: "SYSTEM", id: "auto-approval" },
        });
        return { requestId: request.id, status: "APPROVED" as const };
      }
      await scheduleFirstEscalation(tx, request);
      const approvers = await membersOf(tx, firstStageGroups(policy), actor.userId);
      if (approvers.length > 0) {
        await notify(tx, {
          recipients: { userIds: approvers },
          kind: "request.waiting",
          title: `${actor.name} asks ${input.minutes} more min of ${grant.permissions.join(", ")} on ${grant.resource.key}`,
          body: `${justification}${risk.signals.length > 0 ? `\n\nRisk ${risk.score}: ${risk.signals.map((signal) => signal.reason).join(" ")}` : ""}`,
          link: `/requests/${request.id}`,
        });
      }
      return { requestId: request.id, status: "PENDING" as const };
    })
    .then(announceAfter);
};
