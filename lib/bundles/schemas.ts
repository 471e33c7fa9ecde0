import { createHash } from "node:crypto";
import { z } from "zod";
import { ZDecision, type TDecision } from "../access/schemas";
import { storableText } from "../storable-text";
import { ZAuthenticationResponse } from "../webauthn";

/** A bundle holds at most this many items (an incident needs a few systems, not dozens). */
export const MAX_BUNDLE_ITEMS = 10;

export const ZRequestBundle = z
  .object({
    bundleId: z.string().min(1).max(64),
    durationMinutes: z.coerce
      .number({ error: "Enter a duration in minutes." })
      .int("Whole minutes only.")
      .positive("Enter a duration in minutes."),
    justification: z.string().max(2000, "At most 2000 characters.").transform(storableText),
    ticket: z.string().max(64, "At most 64 characters.").transform(storableText).optional(),
  })
  .strict();
export type TRequestBundle = z.input<typeof ZRequestBundle>;

export const ZDecisionItem = z.object({ requestId: z.string().min(1).max(64), decision: ZDecision }).strict();
export type TDecisionItem = z.infer<typeof ZDecisionItem>;

/** The (request, decision) pairs one confirmation covers: each request at most once. */
export const ZDecisionSet = z
  .array(ZDecisionItem)
  .min(1, "Choose at least one request.")
  .max(MAX_BUNDLE_ITEMS)
  .refine((items) => new Set(items.map((item) => item.requestId)).size === items.length, "A request appears twice.");

export const ZStartBundleDecision = z.object({ submissionId: z.string().min(1).max(64), items: ZDecisionSet }).strict();
export type TStartBundleDecision = z.input<typeof ZStartBundleDecision>;

export const ZDecideBundle = z
  .object({
    submissionId: z.string().min(1).max(64),
    items: ZDecisionSet,
    comment: z.string().max(2000).transform(storableText).optional(),
    assertion: ZAuthenticationResponse,
  })
  .strict();
export type TDecideBundle = z.input<typeof ZDecideBundle>;

/** What a set's step-up challenge is bound to (its `targetType`; the digest is its `targetId`). */
export const DECISION_SET_TARGET = "decision-set";

/**
 * The canonical form of a set of decisions on one submission: the pairs sorted by request id,
 * hashed with the submission id. The step-up challenge stores it, and the decision recomputes
 * it from what it is asked to write, so an assertion counts only for exactly the set it was
 * issued for: another request, another decision, one item more or less all change the digest
 * (ADR 0054).
 */
export const decisionSetDigest = (
  submissionId: string,
  items: ReadonlyArray<{ requestId: string; decision: TDecision }>,
): string => {
  const pairs = items
    .map((item) => [item.requestId, item.decision] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256")
    .update(JSON.stringify([submissionId, pairs]))
    .digest("hex");
};
