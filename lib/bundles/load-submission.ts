import { can, type TUserActor } from "../authz";
import { assertCanOrHide, recordDenial, type TAuditContext } from "../authz/enforce";
import type { Db } from "../db";
import { AppError } from "../errors";
import { requestTargetOf, type TDecidableRow } from "../access/load-request-target";
import { DECIDABLE_SELECT } from "../access/stages";

const NOT_FOUND = "No such bundle request.";

/**
 * A submission with its requests, after checking `submission.read`: who may not see it gets
 * the answer a missing id gets (NOT_FOUND), audited.
 */
export const loadReadableSubmission = async (
  tx: Db,
  options: { actor: TUserActor; submissionId: string; context?: TAuditContext },
) => {
  const submission = await tx.bundleSubmission.findUnique({
    where: { id: options.submissionId },
    include: {
      requests: {
        orderBy: { id: "asc" },
        select: DECIDABLE_SELECT,
      },
    },
  });
  if (!submission) throw new AppError("NOT_FOUND", NOT_FOUND);
  const target = {
    type: "submission" as const,
    id: submission.id,
    requesterId: submission.requesterId,
    approverGroups: [...new Set(submission.requests.flatMap((request) => requestTargetOf(request).approverGroups))],
  };
  await assertCanOrHide({
    actor: options.actor,
    action: "submission.read",
    target,
    visible: can(options.actor, "submission.read", target),
    notFound: NOT_FOUND,
    context: options.context,
  });
  return submission;
};

/** The requests of a set must all belong to the submission: an id from elsewhere is refused, not skipped. */
export const assertItemsOfSubmission = (
  submission: { requests: Array<{ id: string }> },
  items: ReadonlyArray<{ requestId: string }>,
): void => {
  const ids = new Set(submission.requests.map((request) => request.id));
  const foreign = items.filter((item) => !ids.has(item.requestId));
  if (foreign.length > 0)
    throw new AppError("INVALID_INPUT", "Some of the chosen requests are not part of this bundle request.", {
      items: foreign.map((item) => item.requestId).join(", "),
    });
};

/**
 * Someone who may decide none of a submission's requests (its requester, a security reviewer,
 * an approver of other policies) is refused the bundle decision as a whole: FORBIDDEN, audited,
 * as a single decision would be. Per-item reasons are for those who may decide some of them.
 */
export const assertMayDecideSome = async (
  actor: TUserActor,
  submission: {
    id: string;
    requests: TDecidableRow[];
  },
  context?: TAuditContext,
): Promise<void> => {
  const some = submission.requests.some((request) => can(actor, "request.decide", requestTargetOf(request)));
  if (some) return;
  await recordDenial({
    actor,
    action: "request.decide",
    target: {
      type: "submission",
      id: submission.id,
      requesterId: submission.requests[0]?.requesterId ?? "",
      approverGroups: [],
    },
    context,
  });
  throw new AppError("FORBIDDEN", "You are not allowed to do that.");
};
