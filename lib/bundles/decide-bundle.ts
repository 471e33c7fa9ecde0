import { assertNoSignalHold } from "../access/assert-no-signal-hold";
import { appendAuditEvent, recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { currentTime } from "../clock";
import { db } from "../db";
import { AppError, isAppError } from "../errors";
import { announceAfter } from "../services/feed";
import { admitStepUp, verifyStepUp } from "../webauthn";
import { withDelegations } from "../delegation/with-delegations";
import { recordDecision, type TDecisionResult } from "../access/record-decision";
import { itemVerdict } from "./item-decidability";
import { assertItemsOfSubmission, assertMayDecideSome, loadReadableSubmission } from "./load-submission";
import { DECISION_SET_TARGET, decisionSetDigest, ZDecideBundle, type TDecideBundle } from "./schemas";

export type TBundleDecisionResult = {
  decided: Array<{ requestId: string; decision: "APPROVE" | "DENY" } & TDecisionResult>;
  skipped: Array<{ requestId: string; reason: string }>;
};

type TDecideBundleOptions = { actor: TUserActor; input: TDecideBundle; context?: TAuditContext; now?: Date };

/**
 * Step two: the decisions on a set of a bundle's requests, confirmed by one passkey assertion
 * whose challenge was issued for exactly this set (its digest; ADR 0054) and is spent here.
 * Each item is re-checked under its row lock with the approver's groups as they are now;
 * one that can no longer be decided by this person is skipped with its reason, never
 * decided. Every decision, its events and the bundle's `bundle.decided` event are one
 * transaction; if nothing could be decided, nothing is written and the challenge stays unspent.
 */
export const decideBundle = async ({
  actor: sessionActor,
  input: raw,
  context = {},
  now: at,
}: TDecideBundleOptions) => {
  const parsed = ZDecideBundle.safeParse(raw);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Invalid decision.");
  const { submissionId, items, assertion } = parsed.data;
  const comment = parsed.data.comment?.trim() || null;
  if (items.some((item) => item.decision === "DENY") && (!comment || comment.length < 3))
    throw new AppError("INVALID_INPUT", "Say why you deny.", { comment: "A denial needs a comment." });
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };
  // With the approvals delegated to them (ADR 0056); re-read under lock in the transaction.
  const actor = await withDelegations(db, sessionActor, at ?? currentTime());
  const submission = await loadReadableSubmission(db, { actor, submissionId, context });
  await assertMayDecideSome(actor, submission, context);
  assertItemsOfSubmission(submission, items);
  // A Shared Signals hold (credential change) stops a set decision as it stops a single one.
  await assertNoSignalHold({ actor, action: "request.decide", audit });
  const digest = decisionSetDigest(submissionId, items);
  const admission = await admitStepUp({ actor, context });

  try {
    return await db
      .$transaction(async (tx): Promise<TBundleDecisionResult> => {
        const now = at ?? currentTime();
        // As a single decision takes them: the requester's row, then the requests' rows (in
        // id order, so two bundle decisions wait for each other and never deadlock).
        await tx.$queryRaw`select id from "User" where id = ${submission.requesterId} for share`;
        const ids = items.map((item) => item.requestId).sort();
        await tx.$queryRaw`select id from "AccessRequest" where id = any(${ids}) order by id for update`;
        const [row] = await tx.$queryRaw<Array<{ groups: string[] }>>`
          select groups from "User" where id = ${actor.userId} for share`;
        // The approver's groups and delegations as they are now, not as the session read them.
        const current = await withDelegations(tx, { ...sessionActor, groups: row?.groups ?? [] }, now, { lock: true });
        const { passkeyId, challengeId } = await verifyStepUp({
          tx,
          admission,
          actor,
          purpose: "DECIDE_SET",
          targetType: DECISION_SET_TARGET,
          targetId: digest,
          response: assertion,
          context,
        });
        const result: TBundleDecisionResult = { decided: [], skipped: [] };
        for (const item of [...items].sort((a, b) => (a.requestId < b.requestId ? -1 : 1))) {
          const verdict = await itemVerdict(tx, { actor: current, requestId: item.requestId, now });
          if (!verdict.decidable) {
            result.skipped.push({ requestId: item.requestId, reason: verdict.reason });
            await appendAuditEvent(tx, {
              actorType: "USER",
              actorId: actor.userId,
              action: "request.decide",
              targetType: "request",
              targetId: item.requestId,
              outcome: "DENIED",
              reason: verdict.reason,
              details: { decision: item.decision, submissionId },
              ...audit,
            });
            continue;
          }
          const outcome = await recordDecision(tx, {
            actor: current,
            request: verdict.request,
            decision: item.decision,
            comment,
            passkeyId,
            challengeId,
            now,
            audit,
            details: { submissionId },
          });
          result.decided.push({ requestId: item.requestId, decision: item.decision, ...outcome });
        }
        if (result.decided.length === 0)
          throw new AppError("CONFLICT", "None of the chosen requests can be decided by you now.", {
            ...Object.fromEntries(result.skipped.map((skip) => [skip.requestId, skip.reason])),
          });
        await appendAuditEvent(tx, {
          actorType: "USER",
          actorId: actor.userId,
          action: "bundle.decided",
          targetType: "submission",
          targetId: submissionId,
          outcome: "ALLOWED",
          reason: comment,
          details: {
            digest,
            passkeyId,
            challengeId,
            decided: result.decided.map((item) => ({
              requestId: item.requestId,
              decision: item.decision,
              status: item.status,
            })),
            skipped: result.skipped,
          },
          ...audit,
        });
        return result;
      })
      .then(announceAfter);
  } catch (error) {
    // A refused step-up is a denied authorization decision: recorded after the rollback.
    if (isAppError(error) && error.code === "FORBIDDEN")
      await recordAuditEvent({
        actorType: "USER",
        actorId: actor.userId,
        action: "bundle.decided",
        targetType: "submission",
        targetId: submissionId,
        outcome: "DENIED",
        reason: error.message,
        details: { digest, items },
        ...audit,
      });
    throw error;
  }
};
