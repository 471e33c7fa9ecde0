import type { Metadata } from "next";
import Link from "next/link";
import { Badge, Empty, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { DEFAULT_USAGE_DAYS, listReviewablePolicies, listReviews, MAX_REVIEW_DAYS } from "@/lib/reviews";
import { formatUtc } from "@/lib/time";
import { ReviewForm } from "./review-form";

export const metadata: Metadata = { title: "Access reviews" };

/**
 * Access reviews (ADR 0058): eligibility to request is itself a standing privilege, so it is
 * recertified. Security, administrators and approvers (for the policies they approve) start
 * campaigns; reviewers open theirs from here or from the notice.
 */
const ReviewsPage = async () => {
  const actor = await requirePageActor("/reviews");
  await authorizePage(actor, "portal.use");
  const [reviews, policies] = await Promise.all([listReviews(actor), listReviewablePolicies(actor)]);
  return (
    <>
      <PageHeader
        title="Access reviews"
        description="Who may request what, recertified: each reviewer certifies the people eligible under a policy, or marks them for removal with a reason. Removals are findings for the directory's owners, who manage the groups."
      />
      <Section title="Reviews">
        {reviews.length === 0 ? (
          <Empty>No reviews for you.</Empty>
        ) : (
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200">
                <th className="py-1">Review</th>
                <th className="py-1">Started by</th>
                <th className="py-1">Deadline</th>
                <th className="py-1">Progress</th>
                <th className="py-1">Removals</th>
                <th className="py-1">State</th>
              </tr>
            </thead>
            <tbody>
              {reviews.map((review) => (
                <tr key={review.id} className="border-b border-slate-100">
                  <td className="py-1">
                    <Link href={`/reviews/${review.id}`} className="font-medium underline">
                      {review.name}
                    </Link>
                    {review.reviewer ? <span className="text-slate-600"> (you review)</span> : null}
                  </td>
                  <td className="py-1">{review.createdBy}</td>
                  <td className="py-1">{formatUtc(review.deadline)}</td>
                  <td className="py-1">
                    {review.decided} of {review.total}
                  </td>
                  <td className="py-1">{review.removals}</td>
                  <td className="py-1">
                    {review.closedAt ? <Badge tone="slate">closed</Badge> : <Badge tone="blue">open</Badge>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      {policies.length > 0 ? (
        <Section title="Start a review">
          <ReviewForm policies={policies} defaultUsageDays={DEFAULT_USAGE_DAYS} maxDays={MAX_REVIEW_DAYS} />
        </Section>
      ) : null}
    </>
  );
};

export default ReviewsPage;
