import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { currentTime } from "../clock";
import { db, type Db } from "../db";
import { AppError } from "../errors";
import { notify, notifyMany } from "../notify";
import { formatUtc } from "../time";
import { assertOpen, loadReadableReview } from "./load-review";
import { ZCloseReview } from "./schemas";

/** Reviewers with people left to decide are reminded once, this long before the deadline. */
export const REMIND_BEFORE_MS = 24 * 60 * 60_000;

type TActorRef = { kind: "user"; userId: string; context: TAuditContext } | { kind: "deadline" };

/**
 * Closes a locked, open review: its verdicts become final. Undecided people stay as they are
 * (listed as "not reviewed" in the export); each REMOVE verdict is a finding for the directory's
 * owners, who are told with security and the review's starter. One audit event with the counts.
 */
const closeLocked = async (tx: Db, reviewId: string, by: TActorRef, now: Date) => {
  const review = await tx.accessReview.update({
    where: { id: reviewId },
    data: { closedAt: now, closedById: by.kind === "user" ? by.userId : null },
    select: { name: true, createdById: true },
  });
  const counts = await tx.accessReviewItem.groupBy({ by: ["verdict"], where: { reviewId }, _count: true });
  const count = (verdict: "CERTIFY" | "REMOVE" | null) => counts.find((row) => row.verdict === verdict)?._count ?? 0;
  const totals = { certified: count("CERTIFY"), removals: count("REMOVE"), undecided: count(null) };
  const context = by.kind === "user" ? by.context : {};
  await appendAuditEvent(tx, {
    actorType: by.kind === "user" ? "USER" : "SYSTEM",
    actorId: by.kind === "user" ? by.userId : "review-deadline",
    action: "review.close",
    targetType: "review",
    targetId: reviewId,
    outcome: "ALLOWED",
    reason: by.kind === "user" ? "closed" : "deadline",
    details: totals,
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
    requestId: context.requestId ?? null,
  });
  await notify(tx, {
    recipients: { userIds: [review.createdById], security: true },
    kind: "review.closed",
    title: `Access review closed: ${review.name}`,
    body:
      `${totals.certified} certified, ${totals.removals} marked for removal, ${totals.undecided} not reviewed. ` +
      (totals.removals > 0
        ? "Each removal is a finding for the directory's owners: take the person out of the listed groups."
        : "No findings."),
    link: `/reviews/${reviewId}`,
  });
  return totals;
};

/** Its starter, security or an administrator closes a review before its deadline. */
export const closeReview = async (options: {
  actor: TUserActor;
  input: { reviewId: string };
  context?: TAuditContext;
  now?: Date;
}) => {
  const { actor, context = {} } = options;
  const parsed = ZCloseReview.safeParse(options.input);
  if (!parsed.success) throw new AppError("NOT_FOUND", "No such review.");
  const review = await loadReadableReview(db, { actor, reviewId: parsed.data.reviewId, context });
  await assertCan(actor, "review.close", review, context);
  return db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<Array<{ closedAt: Date | null }>>`
      select "closedAt" from "AccessReview" where id = ${review.id} for update`;
    assertOpen({ ...review, closedAt: locked?.closedAt ?? null });
    return closeLocked(tx, review.id, { kind: "user", userId: actor.userId, context }, options.now ?? currentTime());
  });
};

/**
 * The worker's sweep (every minute): closes the reviews whose deadline passed, and reminds,
 * once, the reviewers of a review due within a day of the people they have left. Each review
 * in its own transaction, skipped if another sweep holds it.
 */
export const sweepReviews = async (options: { now?: Date } = {}): Promise<{ closed: number; reminded: number }> => {
  const now = options.now ?? currentTime();
  const due = await db.accessReview.findMany({
    where: {
      closedAt: null,
      OR: [
        { deadline: { lte: now } },
        { remindedAt: null, deadline: { lte: new Date(now.getTime() + REMIND_BEFORE_MS) } },
      ],
    },
    select: { id: true },
    orderBy: { deadline: "asc" },
    take: 100,
  });
  let closed = 0;
  let reminded = 0;
  for (const { id } of due) {
    await db.$transaction(async (tx) => {
      const [review] = await tx.$queryRaw<
        Array<{ name: string; deadline: Date; reviewerIds: string[]; remindedAt: Date | null; closedAt: Date | null }>
      >`select name, deadline, "reviewerIds", "remindedAt", "closedAt" from "AccessReview"
        where id = ${id} for update skip locked`;
      if (!review || review.closedAt) return;
      if (review.deadline <= now) {
        await closeLocked(tx, id, { kind: "deadline" }, now);
        closed += 1;
        return;
      }
      if (review.remindedAt) return;
      const left = await tx.accessReviewItem.findMany({
        where: { reviewId: id, verdict: null },
        select: { subjectId: true },
      });
      // A reviewer has left what anyone may decide but their own eligibility.
      const notices = review.reviewerIds.flatMap((reviewerId) => {
        const theirs = left.filter((item) => item.subjectId !== reviewerId).length;
        return theirs === 0
          ? []
          : [
              {
                recipients: { userIds: [reviewerId] },
                kind: "review.reminder",
                title: `Access review due soon: ${review.name}`,
                body: `${theirs} ${theirs === 1 ? "person is" : "people are"} still to be reviewed by ${formatUtc(review.deadline)}.`,
                link: `/reviews/${id}`,
              },
            ];
      });
      await notifyMany(tx, notices);
      await tx.accessReview.update({ where: { id }, data: { remindedAt: now } });
      reminded += 1;
    });
  }
  return { closed, reminded };
};
