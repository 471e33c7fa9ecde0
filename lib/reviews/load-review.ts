import type { TUserActor } from "../authz";
import { can } from "../authz";
import { assertCanOrHide, type TAuditContext } from "../authz/enforce";
import type { Db } from "../db";
import { AppError } from "../errors";

export const NO_SUCH_REVIEW = "No such review.";

export type TReviewTarget = {
  type: "review";
  id: string;
  createdById: string;
  reviewerIds: string[];
  name: string;
  deadline: Date;
  closedAt: Date | null;
};

/**
 * A review as the rules see it, for someone who may read it: anyone else gets NOT_FOUND, so
 * a review's existence is not confirmed to people outside it (the refusal is audited).
 */
export const loadReadableReview = async (
  client: Db,
  options: { actor: TUserActor; reviewId: string; context?: TAuditContext },
): Promise<TReviewTarget> => {
  const row = await client.accessReview.findUnique({
    where: { id: options.reviewId },
    select: { id: true, createdById: true, reviewerIds: true, name: true, deadline: true, closedAt: true },
  });
  if (!row) throw new AppError("NOT_FOUND", NO_SUCH_REVIEW);
  const target = { type: "review" as const, ...row };
  await assertCanOrHide({
    actor: options.actor,
    action: "review.read",
    target,
    visible: can(options.actor, "review.read", target),
    notFound: NO_SUCH_REVIEW,
    context: options.context,
  });
  return target;
};

/** Refused once the review is closed: its verdicts are final. */
export const assertOpen = (review: TReviewTarget): void => {
  if (review.closedAt) throw new AppError("CONFLICT", "This review is closed: its verdicts are final.");
};
