import { assertNoSignalHold } from "../access/assert-no-signal-hold";
import { firstStageGroups, stageColumns } from "../access/stages";
import { membersOf, scheduleFirstEscalation } from "../access/advance-stage";
import { queueChatSync } from "../chat/queue-chat-sync";
import { appendAuditEvent, recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { currentTime } from "../clock";
import { db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { enforceRateLimit } from "../security/rate-limits";
import { announceAfter } from "../services/feed";
import { approveAutomatically } from "../access/create-grant";
import { assessRisk, checkRequestFields, findLiveGrant, lockRequester, riskColumns } from "../access/request-access";
import { fieldErrors } from "../access/schemas";
import { applyUsageApprovalDemand, markUsageApprovalDemandConsumed } from "../signals/take-approval-demand";
import { loadBundle, itemLabel, type TLoadedBundle } from "./load-bundle";
import { ZRequestBundle, type TRequestBundle } from "./schemas";

export type TBundleResult = {
  submissionId: string;
  requests: Array<{ requestId: string; status: "PENDING" | "APPROVED"; grantId: string | null }>;
};

type TRequestBundleOptions = { actor: TUserActor; input: TRequestBundle; context?: TAuditContext; now?: Date };

/**
 * An engineer asks for every item of a bundle at once, with one justification (ADR 0054).
 * Each item becomes a request under its own policy, checked by that policy's rules
 * (eligibility, duration, justification, ticket, duplicates, risk, auto-approval); any
 * failure refuses the whole submission, naming the item, and writes nothing but its audit
 * event. All requests, the submission and their events are written in one transaction.
 * Approvers get one notice for the bundle, not one per item.
 */
export const requestBundle = async ({ actor, input: raw, context = {}, now: at }: TRequestBundleOptions) => {
  const now = at ?? currentTime();
  const parsed = ZRequestBundle.safeParse(raw);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Check the highlighted fields.", fieldErrors(parsed.error));
  const input = parsed.data;
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };

  await enforceRateLimit({ flow: "request.create", userId: actor.userId, context, now });
  // Held back by a Shared Signals event (credential change, device not compliant) as a single request is.
  await assertNoSignalHold({ actor, action: "request.create", audit });
  const bundle = await loadBundle(db, input.bundleId);
  const refuse = async (reason: string, details: Record<string, unknown>) => {
    await recordAuditEvent({
      actorType: "USER",
      actorId: actor.userId,
      action: "bundle.submitted",
      targetType: "bundle",
      targetId: input.bundleId,
      outcome: "DENIED",
      reason,
      details,
      ...audit,
    });
  };
  if (!bundle) {
    await refuse("no such bundle", {});
    throw new AppError("NOT_FOUND", "No such bundle.");
  }
  // Eligibility is all or nothing: a bundle is requested whole or not at all (ADR 0054).
  const ineligible = bundle.items.filter((item) => !isEligible(actor, item));
  if (ineligible.length > 0) {
    const names = ineligible.map(itemLabel);
    await refuse("not eligible for every item", { items: names });
    throw new AppError(
      "FORBIDDEN",
      `You are not eligible to request ${names.join(", ")}, so this bundle can't be requested; nothing was requested.`,
      { items: names.join(", ") },
    );
  }
  const checked = checkItems(bundle, input);

  return db
    .$transaction(async (tx) => {
      // One lock per resource, always in the same order: two submissions never deadlock.
      const resourceIds = [...new Set(bundle.items.map((item) => item.policy.resource.id))].sort();
      for (const resourceId of resourceIds) await lockRequester(tx, { userId: actor.userId, resourceId });
      for (const item of bundle.items) {
        const resourceId = item.policy.resource.id;
        const permissions = [item.permission];
        const pending = await tx.accessRequest.findFirst({
          where: { requesterId: actor.userId, resourceId, status: "PENDING", permissions: { hasSome: permissions } },
          select: { id: true },
        });
        const live = await findLiveGrant(tx, { userId: actor.userId, resourceId, permissions, now });
        if (pending || live)
          throw new AppError(
            "CONFLICT",
            `You already have ${pending ? "a pending request" : "a grant"} for ${itemLabel(item)}; nothing was requested.`,
            { existing: pending?.id ?? live?.requestId ?? "" },
          );
      }
      const submission = await tx.bundleSubmission.create({
        data: {
          bundleId: bundle.id,
          bundleName: bundle.name,
          requesterId: actor.userId,
          justification: checked.justification,
          createdAt: now,
        },
        select: { id: true },
      });
      const created: TBundleResult["requests"] = [];
      const approverGroups = new Set<string>();
      for (const item of bundle.items) {
        const { policy } = item;
        const permissions = [item.permission];
        const assessed = await assessRisk(tx, {
          actor,
          policy,
          permissions,
          durationMinutes: input.durationMinutes,
          maxDurationMinutes: policy.maxDurationMinutes,
          audit,
          now,
        });
        // One more approval a flagged usage signal owes on this resource (ADR 0042), as for a
        // single request: a bundle is no way around it.
        const { risk, demand } = await applyUsageApprovalDemand(tx, {
          userId: actor.userId,
          resourceId: policy.resource.id,
          now,
          assessed,
        });
        const autoApprove =
          actor.groups.some((group) => policy.autoApproveGroups.includes(group)) &&
          policy.autoApprovePermissions.includes(item.permission) &&
          !risk.blocksAutoApproval;
        const request = await tx.accessRequest.create({
          data: {
            requesterId: actor.userId,
            resourceId: policy.resource.id,
            policyId: policy.id,
            permissions,
            justification: checked.justification,
            ticket: checked.ticket,
            durationMinutes: input.durationMinutes,
            status: autoApprove ? "APPROVED" : "PENDING",
            decideBy: new Date(now.getTime() + policy.decisionWindowMinutes * 60_000),
            decidedAt: autoApprove ? now : null,
            ...riskColumns(risk, audit),
            ...stageColumns(policy, now, !autoApprove),
            submissionId: submission.id,
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
        if (demand) await markUsageApprovalDemandConsumed(tx, { demandId: demand.id, requestId: request.id });
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
            ticket: checked.ticket,
            autoApproved: autoApprove,
            riskScore: risk.score,
            riskSignals: risk.signals.map((signal) => signal.code),
            riskThresholdReached: risk.reached,
            extraApprovals: risk.extraApprovals,
            submissionId: submission.id,
            bundle: bundle.name,
          },
          ...audit,
        });
        if (!autoApprove) {
          firstStageGroups(policy).forEach((group) => approverGroups.add(group));
          await scheduleFirstEscalation(tx, request);
          await queueChatSync(tx, { requestId: request.id, now });
          created.push({ requestId: request.id, status: "PENDING", grantId: null });
          continue;
        }
        const { grantId } = await approveAutomatically(tx, { request, policyName: policy.name, now });
        created.push({ requestId: request.id, status: "APPROVED", grantId });
      }
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "bundle.submitted",
        targetType: "submission",
        targetId: submission.id,
        outcome: "ALLOWED",
        details: {
          bundle: bundle.name,
          bundleId: bundle.id,
          requestIds: created.map((request) => request.requestId),
          autoApproved: created.filter((request) => request.status === "APPROVED").length,
        },
        ...audit,
      });
      // One notice per approver for the whole bundle, whichever of its items they may decide.
      if (approverGroups.size > 0) {
        const approvers = await membersOf(tx, [...approverGroups], actor.userId);
        if (approvers.length > 0)
          await notify(tx, {
            recipients: { userIds: approvers },
            kind: "request.waiting",
            title: `${actor.name} asks for the bundle ${bundle.name} (${bundle.items.length} items, ${input.durationMinutes} min)`,
            body: `${checked.justification}${checked.ticket ? ` (${checked.ticket})` : ""}`,
            link: `/submissions/${submission.id}`,
          });
      }
      return { submissionId: submission.id, requests: created };
    })
    .then(announceAfter);
};

const isEligible = (actor: TUserActor, item: TLoadedBundle["items"][number]): boolean =>
  !item.policy.resource.archivedAt &&
  actor.groups.some((group) => item.policy.requesterGroups.includes(group)) &&
  item.policy.permissions.includes(item.permission) &&
  item.policy.resource.permissions.includes(item.permission);

/** Every item's policy rules on the one duration, justification and ticket; failures name the item. */
const checkItems = (
  bundle: TLoadedBundle,
  input: { durationMinutes: number; justification: string; ticket?: string },
) => {
  const fields: Record<string, string> = {};
  let justification = input.justification.trim();
  let ticket: string | null = input.ticket?.trim() || null;
  for (const item of bundle.items) {
    const checked = checkRequestFields({
      policy: item.policy,
      input: { ...input, permissions: [item.permission] },
      maxDurationMinutes: item.policy.maxDurationMinutes,
      ticketRequired: item.policy.ticketRequired,
    });
    for (const [field, message] of Object.entries(checked.fields))
      fields[field] = `${fields[field] ? `${fields[field]} ` : ""}${itemLabel(item)}: ${message}`;
    justification = checked.justification;
    ticket = checked.ticket;
  }
  if (Object.keys(fields).length > 0) throw new AppError("INVALID_INPUT", "Check the highlighted fields.", fields);
  return { justification, ticket };
};
