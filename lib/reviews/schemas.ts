import { createHash } from "node:crypto";
import { z } from "zod";
import { storableText } from "../storable-text";
import { ZAuthenticationResponse } from "../webauthn";

/** Bounds of a campaign (ADR 0058): a review is a few weeks' work, over a few dozen policies. */
export const MAX_REVIEW_POLICIES = 50;
export const MAX_REVIEWERS = 20;
export const MAX_REVIEW_DAYS = 90;
export const MAX_USAGE_DAYS = 365;
export const DEFAULT_USAGE_DAYS = 90;
/** The most items one passkey confirmation decides. */
export const MAX_DECISIONS_PER_CONFIRMATION = 100;
export const MIN_REMOVAL_REASON = 5;

const id = z.string().min(1).max(64);

export const ZStartReview = z.strictObject({
  name: z
    .string()
    .max(120)
    .transform(storableText)
    .transform((text) => text.trim())
    .pipe(z.string().min(3, "Name the review, in at least 3 characters.")),
  policyIds: z
    .array(id)
    .min(1, "Choose at least one policy.")
    .max(MAX_REVIEW_POLICIES, `At most ${MAX_REVIEW_POLICIES} policies.`)
    .refine((ids) => new Set(ids).size === ids.length, "A policy appears twice."),
  reviewerEmails: z
    .array(z.string().trim().min(3).max(320))
    .min(1, "Name at least one reviewer.")
    .max(MAX_REVIEWERS, `At most ${MAX_REVIEWERS} reviewers.`),
  deadline: z.iso.datetime({ offset: true, error: "Enter a valid deadline." }),
  usageDays: z.coerce
    .number({ error: "Enter a number of days." })
    .int("Whole days only.")
    .min(1, "At least 1 day.")
    .max(MAX_USAGE_DAYS, `At most ${MAX_USAGE_DAYS} days.`)
    .default(DEFAULT_USAGE_DAYS),
});
export type TStartReview = z.input<typeof ZStartReview>;

export const ZReviewVerdict = z.enum(["CERTIFY", "REMOVE"]);
export type TReviewVerdict = z.infer<typeof ZReviewVerdict>;

export const ZReviewDecisionItem = z.strictObject({
  itemId: id,
  verdict: ZReviewVerdict,
  reason: z
    .string()
    .max(500)
    .transform(storableText)
    .transform((text) => text.trim())
    .default(""),
});
export type TReviewDecisionItem = z.infer<typeof ZReviewDecisionItem>;

/** The verdicts one confirmation covers: each item at most once; a removal says why. */
export const ZReviewDecisionSet = z
  .array(ZReviewDecisionItem)
  .min(1, "Choose at least one person.")
  .max(MAX_DECISIONS_PER_CONFIRMATION, `At most ${MAX_DECISIONS_PER_CONFIRMATION} at a time.`)
  .refine((items) => new Set(items.map((item) => item.itemId)).size === items.length, "A person appears twice.")
  .superRefine((items, context) => {
    for (const [index, item] of items.entries())
      if (item.verdict === "REMOVE" && item.reason.length < MIN_REMOVAL_REASON)
        context.addIssue({
          code: "custom",
          path: [index, "reason"],
          message: `Say why they should lose it, in at least ${MIN_REMOVAL_REASON} characters.`,
        });
  });

export const ZStartReviewDecision = z.strictObject({ reviewId: id, items: ZReviewDecisionSet });
export type TStartReviewDecision = z.input<typeof ZStartReviewDecision>;

export const ZDecideReview = z.strictObject({
  reviewId: id,
  items: ZReviewDecisionSet,
  assertion: ZAuthenticationResponse,
});
export type TDecideReview = z.input<typeof ZDecideReview>;

export const ZCloseReview = z.strictObject({ reviewId: id });

/** What a review decision's step-up challenge is bound to (its `targetType`). */
export const REVIEW_SET_TARGET = "review-set";

/**
 * The canonical form of a set of verdicts: (item, verdict, reason) sorted by item, hashed with
 * the review id. The challenge stores it and the decision recomputes it from what it is asked
 * to write, so an assertion counts for exactly that set: another person, another verdict or
 * another reason changes the digest.
 */
export const reviewSetDigest = (reviewId: string, items: ReadonlyArray<TReviewDecisionItem>): string => {
  const triples = items
    .map((item) => [item.itemId, item.verdict, item.reason] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256")
    .update(JSON.stringify([reviewId, triples]))
    .digest("base64url");
};
