import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { currentTime } from "../clock";
import { db } from "../db";
import { AppError } from "../errors";
import { fieldErrors } from "../access/schemas";
import { notify } from "../notify";
import { formatUtc } from "../time";
import { eligiblePeople } from "./eligible-people";
import { MAX_REVIEW_DAYS, ZStartReview, type TStartReview } from "./schemas";

const DAY_MS = 86_400_000;
/** A deadline closer than this leaves reviewers no time: a typo, most likely. */
const MIN_REVIEW_MS = 60 * 60_000;

const invalid = (field: string, message: string) => new AppError("INVALID_INPUT", message, { [field]: message });

/**
 * Starts an access review campaign (ADR 0058): takes who is eligible under the chosen policies
 * now, with their use of it over the last `usageDays`, and hands the list to the reviewers.
 * Security and administrators review any policies; an approver only policies they approve.
 * Every person must have a reviewer other than themselves. The review, its items, its audit
 * event and the reviewers' notices are one transaction.
 */
export const startReview = async (options: {
  actor: TUserActor;
  input: TStartReview;
  context?: TAuditContext;
  now?: Date;
}): Promise<{ reviewId: string; items: number }> => {
  const { actor, context = {} } = options;
  const parsed = ZStartReview.safeParse(options.input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Check the review's fields.", fieldErrors(parsed.error));
  const input = parsed.data;
  const now = options.now ?? currentTime();
  const deadline = new Date(input.deadline);
  if (deadline.getTime() < now.getTime() + MIN_REVIEW_MS)
    throw invalid("deadline", "Give the reviewers at least an hour: the deadline is too close.");
  if (deadline.getTime() > now.getTime() + MAX_REVIEW_DAYS * DAY_MS)
    throw invalid("deadline", `A review runs at most ${MAX_REVIEW_DAYS} days.`);

  const policies = await db.accessPolicy.findMany({
    where: { id: { in: input.policyIds } },
    select: { id: true, approverGroups: true, escalationGroups: true },
  });
  if (policies.length !== input.policyIds.length) throw invalid("policyIds", "One of the chosen policies is gone.");
  await assertCan(
    actor,
    "review.start",
    { type: "review-scope", approverGroups: policies.map((policy) => policy.approverGroups) },
    context,
  );

  return db.$transaction(async (tx) => {
    const me = await tx.user.findUnique({ where: { id: actor.userId }, select: { issuer: true } });
    if (!me) throw new AppError("NOT_FOUND", "Your account is gone.");
    const emails = [...new Set(input.reviewerEmails.map((email) => email.toLowerCase()))];
    const reviewers = await tx.user.findMany({
      where: { issuer: me.issuer, deactivatedAt: null, email: { in: emails, mode: "insensitive" } },
      select: { id: true, name: true, email: true },
    });
    const unknown = emails.filter((email) => !reviewers.some((reviewer) => reviewer.email?.toLowerCase() === email));
    if (unknown.length > 0)
      throw invalid("reviewerEmails", `Nobody active has signed in to the portal as ${unknown.join(", ")}.`);

    const usageSince = new Date(now.getTime() - input.usageDays * DAY_MS);
    const items = await eligiblePeople(tx, { policyIds: input.policyIds, usageSince, now });
    // Nobody reviews their own eligibility: each person needs another reviewer.
    const reviewerIds = reviewers.map((reviewer) => reviewer.id);
    const alone =
      reviewers.length === 1
        ? reviewers.find((reviewer) => items.some((item) => item.subjectId === reviewer.id))
        : null;
    if (alone)
      throw invalid(
        "reviewerEmails",
        `${alone.name} is eligible under a chosen policy and cannot review themselves: add another reviewer.`,
      );

    const review = await tx.accessReview.create({
      data: {
        name: input.name,
        createdById: actor.userId,
        createdAt: now,
        reviewerIds,
        policyIds: input.policyIds,
        usageSince,
        deadline,
      },
      select: { id: true },
    });
    await tx.accessReviewItem.createMany({ data: items.map((item) => ({ ...item, reviewId: review.id })) });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "review.start",
      targetType: "review",
      targetId: review.id,
      outcome: "ALLOWED",
      reason: input.name,
      details: {
        policyIds: input.policyIds,
        reviewerIds,
        items: items.length,
        usageSince: usageSince.toISOString(),
        deadline: deadline.toISOString(),
      },
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      requestId: context.requestId ?? null,
    });
    await notify(tx, {
      recipients: { userIds: reviewerIds },
      kind: "review.assigned",
      title: `Access review: ${input.name}`,
      body: `${actor.name} asks you to review who may request ${policies.length} polic${policies.length === 1 ? "y" : "ies"} (${items.length} people to certify or remove) by ${formatUtc(deadline)}.`,
      link: `/reviews/${review.id}`,
    });
    return { reviewId: review.id, items: items.length };
  });
};
