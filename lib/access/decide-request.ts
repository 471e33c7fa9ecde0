import { queueChatSync } from "../chat/queue-chat-sync";
import { assertNoSignalHold } from "./assert-no-signal-hold";
import { z } from "zod";
import { storableText } from "../storable-text";
import { appendAuditEvent, recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db, type Db } from "../db";
import { afterCommit } from "../db/after-commit";
import { observeHistogram } from "../metrics/registry";
import { AppError, isAppError } from "../errors";
import { admitStepUp, startStepUp, verifyStepUp, ZAuthenticationResponse } from "../webauthn";
import { notify } from "../notify";
import { formatUtc } from "../time";
import { createGrantForRequest } from "./create-grant";
import { applyExtension } from "./apply-extension";
import { assertCanOnRequest, loadRequestTarget } from "./load-request-target";
import { ZDecision, type TDecision } from "./schemas";
import { announceAfter } from "../services/feed";
import { currentTime } from "../clock";

const TARGET_TYPE = "request";

/** Checks that hold both when a step-up is issued and when the decision is recorded. */
const assertDecidable = async (tx: Db, options: { actor: TUserActor; requestId: string; now: Date }) => {
  const request = await tx.accessRequest.findUnique({
    where: { id: options.requestId },
    include: {
      policy: { select: { approvalsRequired: true } },
      resource: { select: { name: true } },
      approvals: { select: { approverId: true, decision: true } },
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
  if (request.approvals.some((approval) => approval.approverId === options.actor.userId)) {
    throw new AppError("CONFLICT", "You have already decided on this request; another approver must.");
  }
  return request;
};

/**
 * Re-checks `request.decide` against the approver's groups read (`for share`) inside the
 * decision's transaction: a group change committed before it is seen, one after it waits.
 */
const assertStillApprover = async (
  tx: Db,
  options: { actor: TUserActor; requestId: string; context?: TAuditContext },
): Promise<void> => {
  const [row] = await tx.$queryRaw<Array<{ groups: string[] }>>`
    select groups from "User" where id = ${options.actor.userId} for share`;
  const current = { ...options.actor, groups: row?.groups ?? [] };
  const target = await loadRequestTarget(tx, options.requestId);
  await assertCanOnRequest(current, "request.decide", target, options.context);
};

/**
 * Step one of a decision: a WebAuthn challenge bound to this approver, this request and this
 * decision, valid for five minutes and usable once.
 */
export const startDecision = async (options: {
  actor: TUserActor;
  requestId: string;
  decision: TDecision;
  context?: TAuditContext;
  now?: Date;
}) => {
  const { actor, requestId, context } = options;
  const decision = ZDecision.parse(options.decision);
  const target = await loadRequestTarget(db, requestId);
  await assertCanOnRequest(actor, "request.decide", target, context);
  await assertDecidable(db, { actor, requestId, now: options.now ?? currentTime() });
  return startStepUp({ actor, purpose: decision, targetType: TARGET_TYPE, targetId: requestId, context });
};

export const ZDecideRequest = z
  .object({
    requestId: z.string().min(1).max(64),
    decision: ZDecision,
    comment: z.string().max(2000).transform(storableText).optional(),
    assertion: ZAuthenticationResponse,
  })
  .strict();
export type TDecideRequest = z.input<typeof ZDecideRequest>;

export type TDecisionResult = {
  status: "PENDING" | "APPROVED" | "DENIED";
  approvals: number;
  required: number;
  grantId: string | null;
};

/**
 * Step two: record the decision. The request row is locked, the step-up assertion is
 * verified and its challenge consumed, the approval, the outcome and the grant are written,
 * all in one transaction, so two approvers deciding at once yield one outcome and at most
 * one grant, and an assertion counts once.
 */
export const decideRequest = async (options: {
  actor: TUserActor;
  input: TDecideRequest;
  context?: TAuditContext;
  now?: Date;
}): Promise<TDecisionResult> => {
  const { actor, context = {} } = options;
  const parsed = ZDecideRequest.safeParse(options.input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Invalid decision.");
  const { requestId, decision, assertion } = parsed.data;
  const comment = parsed.data.comment?.trim() || null;
  if (decision === "DENY" && (!comment || comment.length < 3)) {
    throw new AppError("INVALID_INPUT", "Say why you deny this request.", { comment: "A denial needs a comment." });
  }
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };
  const target = await loadRequestTarget(db, requestId);
  await assertCanOnRequest(actor, "request.decide", target, context);
  await assertNoSignalHold({ actor, action: "request.decide", audit });
  const admission = await admitStepUp({ actor, context });

  try {
    return await db
      .$transaction(async (tx) => {
        const now = options.now ?? currentTime();
        // The requester's row before the request's, in the order a deactivation takes them
        // (lib/access/end-access-of-user.ts): the two wait for each other, never deadlock.
        await tx.$queryRaw`
          select u.id from "User" u join "AccessRequest" r on r."requesterId" = u.id
           where r.id = ${requestId} for share of u`;
        // Decisions on one request happen one after another.
        await tx.$queryRaw`select id from "AccessRequest" where id = ${requestId} for update`;
        const request = await assertDecidable(tx, { actor, requestId, now });
        // The approver's groups as they are now, not as the session read them: a directory
        // (SCIM) may have removed them from the approver group since the page was opened.
        await assertStillApprover(tx, { actor, requestId, context });
        const { passkeyId, challengeId } = await verifyStepUp({
          tx,
          admission,
          actor,
          purpose: decision,
          targetType: TARGET_TYPE,
          targetId: requestId,
          response: assertion,
          context,
        });

        await tx.approval.create({
          data: { requestId, approverId: actor.userId, decision, comment, passkeyId, challengeId, createdAt: now },
        });
        await appendAuditEvent(tx, {
          actorType: "USER",
          actorId: actor.userId,
          action: decision === "APPROVE" ? "request.approve" : "request.deny",
          targetType: "request",
          targetId: requestId,
          outcome: "ALLOWED",
          reason: comment,
          details: { passkeyId, challengeId },
          ...audit,
        });

        // The risk rules may have asked for more at submission (request.extraApprovals).
        const required = request.policy.approvalsRequired + request.extraApprovals;
        const recordTimeToDecision = () =>
          afterCommit(() =>
            observeHistogram("jit_time_to_decision_seconds", {}, (now.getTime() - request.createdAt.getTime()) / 1000),
          );
        const approvals =
          request.approvals.filter((approval) => approval.decision === "APPROVE").length +
          (decision === "APPROVE" ? 1 : 0);
        if (decision === "DENY") {
          await tx.accessRequest.update({ where: { id: requestId }, data: { status: "DENIED", decidedAt: now } });
          recordTimeToDecision();
          await queueChatSync(tx, { requestId, now });
          await notify(tx, {
            recipients: { userIds: [request.requesterId] },
            kind: "request.denied",
            title: `Request denied: ${request.permissions.join(", ")} on ${request.resource.name}`,
            body: comment ? `${actor.name}: ${comment}` : `Denied by ${actor.name}.`,
            link: `/requests/${requestId}`,
          });
          return { status: "DENIED" as const, approvals, required, grantId: null };
        }
        if (approvals < required) {
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
          recipients: { userIds: [request.requesterId] },
          kind: "request.approved",
          title: `Request approved: ${request.permissions.join(", ")} on ${request.resource.name}`,
          body: startsAt > now ? `Your access starts at ${formatUtc(startsAt)}.` : "Your access is active now.",
          link: `/requests/${requestId}`,
        });
        return { status: "APPROVED" as const, approvals, required, grantId };
      })
      .then(announceAfter);
  } catch (error) {
    // A refused step-up is a denied authorization decision: recorded outside the rolled-back
    // transaction so it survives.
    if (isAppError(error) && error.code === "FORBIDDEN") {
      await recordAuditEvent({
        actorType: "USER",
        actorId: actor.userId,
        action: "request.decide",
        targetType: "request",
        targetId: requestId,
        outcome: "DENIED",
        reason: error.message,
        details: { decision },
        ...audit,
      });
    }
    throw error;
  }
};
