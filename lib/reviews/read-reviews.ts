import { can, type TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { loadReadableReview } from "./load-review";

export type TReviewSummary = {
  id: string;
  name: string;
  createdBy: string;
  deadline: Date;
  closedAt: Date | null;
  total: number;
  decided: number;
  removals: number;
  /** This person is one of its reviewers. */
  reviewer: boolean;
};

/** The reviews this person may see: all for security and administrators, else theirs. */
export const listReviews = async (actor: TUserActor): Promise<TReviewSummary[]> => {
  const everyone = actor.roles.includes("security") || actor.roles.includes("admin");
  const reviews = await db.accessReview.findMany({
    where: everyone ? {} : { OR: [{ createdById: actor.userId }, { reviewerIds: { has: actor.userId } }] },
    orderBy: [{ closedAt: { sort: "desc", nulls: "first" } }, { deadline: "asc" }],
    take: 200,
    select: {
      id: true,
      name: true,
      deadline: true,
      closedAt: true,
      reviewerIds: true,
      createdBy: { select: { name: true } },
    },
  });
  const counts = await db.accessReviewItem.groupBy({
    by: ["reviewId", "verdict"],
    where: { reviewId: { in: reviews.map((review) => review.id) } },
    _count: true,
  });
  return reviews.map((review) => {
    const mine = counts.filter((row) => row.reviewId === review.id);
    const sum = (pick: (verdict: string | null) => boolean) =>
      mine.filter((row) => pick(row.verdict)).reduce((total, row) => total + row._count, 0);
    return {
      id: review.id,
      name: review.name,
      createdBy: review.createdBy.name,
      deadline: review.deadline,
      closedAt: review.closedAt,
      total: sum(() => true),
      decided: sum((verdict) => verdict !== null),
      removals: sum((verdict) => verdict === "REMOVE"),
      reviewer: review.reviewerIds.includes(actor.userId),
    };
  });
};

export type TReviewItemView = {
  id: string;
  resourceKey: string;
  policyName: string;
  subject: { id: string; name: string; email: string | null };
  groups: string[];
  groupsSource: string;
  grantsInPeriod: number;
  lastUsedAt: Date | null;
  verdict: "CERTIFY" | "REMOVE" | null;
  reason: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  /** For a removal: the listed groups the person is still in now (empty: the finding is resolved). */
  stillIn: string[];
  /** Whether this viewer may record its verdict now. */
  decidable: boolean;
};

export type TReviewView = {
  id: string;
  name: string;
  createdBy: string;
  createdAt: Date;
  usageSince: Date;
  deadline: Date;
  closedAt: Date | null;
  closedBy: string | null;
  reviewers: Array<{ id: string; name: string }>;
  policies: Array<{ id: string; label: string }>;
  items: TReviewItemView[];
  mayClose: boolean;
  mayDecide: boolean;
};

/** One review with its people, for someone who may read it (NOT_FOUND otherwise). */
export const getReview = async (options: {
  actor: TUserActor;
  reviewId: string;
  context?: TAuditContext;
  now: Date;
}): Promise<TReviewView> => {
  const { actor } = options;
  const target = await loadReadableReview(db, options);
  const review = await db.accessReview.findUniqueOrThrow({
    where: { id: target.id },
    include: {
      createdBy: { select: { name: true } },
      closedBy: { select: { name: true } },
      items: {
        orderBy: [{ resourceKey: "asc" }, { policyName: "asc" }, { subject: { name: "asc" } }],
        include: {
          subject: { select: { id: true, name: true, email: true, groups: true } },
          decidedBy: { select: { name: true } },
        },
      },
    },
  });
  const [reviewers, policies] = await Promise.all([
    db.user.findMany({ where: { id: { in: review.reviewerIds } }, select: { id: true, name: true } }),
    db.accessPolicy.findMany({
      where: { id: { in: review.policyIds } },
      select: { id: true, name: true, resource: { select: { key: true } } },
    }),
  ]);
  const open = !review.closedAt && review.deadline > options.now;
  const mayDecide = open && can(actor, "review.decide", target);
  return {
    id: review.id,
    name: review.name,
    createdBy: review.createdBy.name,
    createdAt: review.createdAt,
    usageSince: review.usageSince,
    deadline: review.deadline,
    closedAt: review.closedAt,
    closedBy: review.closedAt ? (review.closedBy?.name ?? "the deadline") : null,
    reviewers: reviewers.sort((a, b) => a.name.localeCompare(b.name)),
    policies: policies
      .map((policy) => ({ id: policy.id, label: `${policy.resource.key} / ${policy.name}` }))
      .sort((a, b) => a.label.localeCompare(b.label)),
    items: review.items.map((item) => ({
      id: item.id,
      resourceKey: item.resourceKey,
      policyName: item.policyName,
      subject: { id: item.subject.id, name: item.subject.name, email: item.subject.email },
      groups: item.groups,
      groupsSource: item.groupsSource,
      grantsInPeriod: item.grantsInPeriod,
      lastUsedAt: item.lastUsedAt,
      verdict: item.verdict,
      reason: item.reason,
      decidedBy: item.decidedBy?.name ?? null,
      decidedAt: item.decidedAt,
      stillIn: item.verdict === "REMOVE" ? item.groups.filter((group) => item.subject.groups.includes(group)) : [],
      decidable: mayDecide && item.subject.id !== actor.userId,
    })),
    mayClose: !review.closedAt && can(actor, "review.close", target),
    mayDecide,
  };
};

/** The policies this person may start a review of: any for security and administrators, else those they approve. */
export const listReviewablePolicies = async (actor: TUserActor): Promise<Array<{ id: string; label: string }>> => {
  const everyone = actor.roles.includes("security") || actor.roles.includes("admin");
  if (!everyone && actor.groups.length === 0) return [];
  const policies = await db.accessPolicy.findMany({
    where: {
      resource: { archivedAt: null },
      ...(everyone ? {} : { approverGroups: { hasSome: actor.groups } }),
    },
    select: { id: true, name: true, resource: { select: { key: true } } },
  });
  return policies
    .map((policy) => ({ id: policy.id, label: `${policy.resource.key} / ${policy.name}` }))
    .sort((a, b) => a.label.localeCompare(b.label));
};

/** Whether this person reviews an open review now (the navigation offers *Reviews* to them). */
export const hasOpenReviewToDo = async (actor: TUserActor, now: Date): Promise<boolean> => {
  // Asked on every portal page: hand-written SQL, cheaper than the ORM's (issue 16).
  const [row] = await db.$queryRaw<Array<{ todo: boolean }>>`
    select exists (
      select 1 from "AccessReview"
      where "closedAt" is null and deadline > ${now}::timestamp(3) and ${actor.userId} = any("reviewerIds")
    ) as todo`;
  return row?.todo ?? false;
};
