import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { currentTime } from "../clock";
import { db } from "../db";
import { AppError } from "../errors";
import { startStepUp } from "../webauthn";
import { withDelegations } from "../delegation/with-delegations";
import { fieldErrors } from "../access/schemas";
import { itemVerdict } from "./item-decidability";
import { assertItemsOfSubmission, assertMayDecideSome, loadReadableSubmission } from "./load-submission";
import { DECISION_SET_TARGET, decisionSetDigest, ZStartBundleDecision, type TStartBundleDecision } from "./schemas";

type TStartBundleDecisionOptions = {
  actor: TUserActor;
  input: TStartBundleDecision;
  context?: TAuditContext;
  now?: Date;
};

/**
 * Step one of deciding several requests of a bundle with one passkey confirmation: a
 * challenge bound to this person and to the digest of exactly these (request, decision)
 * pairs (ADR 0054). Every item must be one this person may decide now; the page offers
 * only those, so anything else is a stale page and is refused with each item's reason.
 */
export const startBundleDecision = async ({
  actor: sessionActor,
  input: raw,
  context,
  now,
}: TStartBundleDecisionOptions): Promise<PublicKeyCredentialRequestOptionsJSON> => {
  const parsed = ZStartBundleDecision.safeParse(raw);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Invalid decision.", fieldErrors(parsed.error));
  const { submissionId, items } = parsed.data;
  const at = now ?? currentTime();
  // With the approvals delegated to them (ADR 0056).
  const actor = await withDelegations(db, sessionActor, at);
  const submission = await loadReadableSubmission(db, { actor, submissionId, context });
  await assertMayDecideSome(actor, submission, context);
  assertItemsOfSubmission(submission, items);
  const refused: Record<string, string> = {};
  for (const item of items) {
    const verdict = await itemVerdict(db, { actor, requestId: item.requestId, now: at });
    if (!verdict.decidable) refused[item.requestId] = verdict.reason;
  }
  if (Object.keys(refused).length > 0)
    throw new AppError("CONFLICT", "You can't decide some of the chosen requests; reload the page.", refused);
  return startStepUp({
    actor,
    purpose: "DECIDE_SET",
    targetType: DECISION_SET_TARGET,
    targetId: decisionSetDigest(submissionId, items),
    context,
  });
};
