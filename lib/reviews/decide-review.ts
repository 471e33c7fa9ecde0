import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { z } from "zod";
import { assertNoSignalHold } from "../access/assert-no-signal-hold";
import { fieldErrors } from "../access/schemas";
import { appendAuditEvents } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { currentTime } from "../clock";
import { db, type Db } from "../db";
import { AppError } from "../errors";
import { admitStepUp, startStepUp, verifyStepUp } from "../webauthn";
import { assertOpen, loadReadableReview, type TReviewTarget } from "./load-review";
import {
  REVIEW_SET_TARGET,
  reviewSetDigest,
  ZDecideReview,
  ZStartReviewDecision,
  type TDecideReview,
  type TReviewDecisionItem,
  type TStartReviewDecision,
} from "./schemas";

type TOptions<I> = { actor: TUserActor; input: I; context?: TAuditContext; now?: Date };

const auditFields = (context: TAuditContext) => ({
  ip: context.ip ?? null,
  userAgent: context.userAgent ?? null,
  requestId: context.requestId ?? null,
});

const parseOrRefuse = <T>(result: z.ZodSafeParseResult<T>): T => {
  if (!result.success) throw new AppError("INVALID_INPUT", "Check your verdicts.", fieldErrors(result.error));
  return result.data;
};

/** A reviewer of an open review whose deadline has not passed. */
const assertMayDecide = async (actor: TUserActor, review: TReviewTarget, now: Date, context: TAuditContext) => {
  await assertCan(actor, "review.decide", review, context);
  assertOpen(review);
  if (review.deadline <= now) throw new AppError("CONFLICT", "The review's deadline has passed: it is being closed.");
};

/**
 * Each chosen item is this review's, and none is the reviewer's own eligibility: nobody
 * certifies themselves. Refused as a whole, with each item's reason.
 */
const assertDecidableItems = async (
  client: Db,
  options: { actor: TUserActor; reviewId: string; items: TReviewDecisionItem[] },
): Promise<void> => {
  const ids = options.items.map((item) => item.itemId);
  const rows = await client.accessReviewItem.findMany({
    where: { id: { in: ids }, reviewId: options.reviewId },
    select: { id: true, subjectId: true },
  });
  const refused: Record<string, string> = {};
  for (const id of ids) {
    const row = rows.find((candidate) => candidate.id === id);
    if (!row) refused[id] = "Not a person of this review.";
    else if (row.subjectId === options.actor.userId) refused[id] = "Nobody reviews their own access.";
  }
  if (Object.keys(refused).length > 0)
    throw new AppError("CONFLICT", "You can't decide some of the chosen people; reload the page.", refused);
};

/**
 * Step one of recording verdicts: a passkey challenge bound to this reviewer and to the digest
 * of exactly these (person, verdict, reason) triples (ADR 0058).
 */
export const startReviewDecision = async ({
  actor,
  input,
  context = {},
  now,
}: TOptions<TStartReviewDecision>): Promise<PublicKeyCredentialRequestOptionsJSON> => {
  const { reviewId, items } = parseOrRefuse(ZStartReviewDecision.safeParse(input));
  const review = await loadReadableReview(db, { actor, reviewId, context });
  await assertMayDecide(actor, review, now ?? currentTime(), context);
  await assertDecidableItems(db, { actor, reviewId, items });
  return startStepUp({
    actor,
    purpose: "DECIDE_SET",
    targetType: REVIEW_SET_TARGET,
    targetId: reviewSetDigest(reviewId, items),
    context,
  });
};

/**
 * Step two: the verdicts, confirmed by one passkey assertion issued for exactly this set and
 * spent here. With the review row locked (a close waits, and sees every verdict or none), the
 * reviewer, the review's state and the items are checked again. A verdict may be changed while
 * the review is open; each one is an audit event naming the verdict it replaced.
 */
export const decideReview = async ({
  actor,
  input,
  context = {},
  now: at,
}: TOptions<TDecideReview>): Promise<{ decided: number; removals: number }> => {
  const { reviewId, items, assertion } = parseOrRefuse(ZDecideReview.safeParse(input));
  const audit = auditFields(context);
  const review = await loadReadableReview(db, { actor, reviewId, context });
  await assertMayDecide(actor, review, at ?? currentTime(), context);
  await assertDecidableItems(db, { actor, reviewId, items });
  await assertNoSignalHold({ actor, action: "review.decide", audit });
  const admission = await admitStepUp({ actor, context });

  return db.$transaction(async (tx) => {
    const now = at ?? currentTime();
    const [locked] = await tx.$queryRaw<Array<{ reviewerIds: string[]; closedAt: Date | null; deadline: Date }>>`
      select "reviewerIds", "closedAt", deadline from "AccessReview" where id = ${reviewId} for update`;
    if (!locked) throw new AppError("NOT_FOUND", "No such review.");
    await assertMayDecide(actor, { ...review, ...locked }, now, context);
    await verifyStepUp({
      tx,
      admission,
      actor,
      purpose: "DECIDE_SET",
      targetType: REVIEW_SET_TARGET,
      targetId: reviewSetDigest(reviewId, items),
      response: assertion,
      context,
    });
    const before = await tx.accessReviewItem.findMany({
      where: { id: { in: items.map((item) => item.itemId) } },
      select: { id: true, subjectId: true, policyId: true, resourceKey: true, policyName: true, verdict: true },
    });
    for (const item of items)
      await tx.accessReviewItem.update({
        where: { id: item.itemId },
        data: { verdict: item.verdict, reason: item.reason || null, decidedById: actor.userId, decidedAt: now },
      });
    await appendAuditEvents(
      tx,
      items.map((item) => {
        const row = before.find((candidate) => candidate.id === item.itemId);
        return {
          actorType: "USER" as const,
          actorId: actor.userId,
          action: item.verdict === "CERTIFY" ? "review.certify" : "review.remove",
          targetType: "review",
          targetId: reviewId,
          outcome: "ALLOWED" as const,
          reason: item.reason || null,
          details: {
            itemId: item.itemId,
            subjectId: row?.subjectId,
            policyId: row?.policyId,
            policy: `${row?.resourceKey}/${row?.policyName}`,
            replaced: row?.verdict ?? null,
          },
          ...audit,
        };
      }),
    );
    return { decided: items.length, removals: items.filter((item) => item.verdict === "REMOVE").length };
  });
};
