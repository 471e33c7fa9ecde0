import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Badge, Empty, PageHeader, Section } from "@/app/components/ui";
import { requirePageActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { currentTime } from "@/lib/clock";
import { isAppError } from "@/lib/errors";
import { getReview, type TReviewItemView } from "@/lib/reviews";
import { formatUtc } from "@/lib/time";
import { CloseReviewButton } from "./close-review-button";
import { ReviewDecisionPanel } from "./review-decision-panel";
import { ReviewItemHead } from "./review-item-head";

export const metadata: Metadata = { title: "Access review" };

const usage = (item: TReviewItemView) =>
  item.grantsInPeriod === 0
    ? "not used"
    : `${item.grantsInPeriod} grant${item.grantsInPeriod === 1 ? "" : "s"}, last ${formatUtc(item.lastUsedAt ?? new Date(0))}`;

const VERDICT = { CERTIFY: ["certified", "green"], REMOVE: ["remove", "red"] } as const;

const ReviewPage = async ({ params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const actor = await requirePageActor(`/reviews/${encodeURIComponent(id)}`);
  let review;
  try {
    review = await getReview({ actor, reviewId: id, context: await requestContext(), now: currentTime() });
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  }
  const decided = review.items.filter((item) => item.verdict !== null).length;
  const findings = review.items.filter((item) => item.verdict === "REMOVE");
  const decidable = review.items.filter((item) => item.decidable);
  return (
    <>
      <PageHeader
        title={`Access review: ${review.name}`}
        description={`Started by ${review.createdBy} on ${formatUtc(review.createdAt)}. Use counted since ${formatUtc(review.usageSince)}.`}
      />
      <dl className="mb-6 grid gap-2 text-sm sm:grid-cols-2">
        <div>
          <dt className="font-medium">State</dt>
          <dd data-testid="review-state">
            {review.closedAt
              ? `Closed ${formatUtc(review.closedAt)} by ${review.closedBy}`
              : `Open until ${formatUtc(review.deadline)}`}
          </dd>
        </div>
        <div>
          <dt className="font-medium">Progress</dt>
          <dd data-testid="review-progress">
            {decided} of {review.items.length} reviewed, {findings.length} marked for removal
          </dd>
        </div>
        <div>
          <dt className="font-medium">Reviewers</dt>
          <dd>{review.reviewers.map((reviewer) => reviewer.name).join(", ")}</dd>
        </div>
        <div>
          <dt className="font-medium">Policies</dt>
          <dd>{review.policies.map((policy) => policy.label).join(", ")}</dd>
        </div>
      </dl>
      <div className="mb-6 flex flex-wrap items-center gap-4">
        <a href={`/reviews/${review.id}/export`} className="font-medium underline" download>
          Export as CSV
        </a>
        {review.mayClose ? <CloseReviewButton reviewId={review.id} /> : null}
      </div>
      {review.mayDecide ? (
        <div className="mb-8">
          {decidable.length > 0 ? (
            <ReviewDecisionPanel
              reviewId={review.id}
              items={decidable.map((item) => ({
                id: item.id,
                person: item.subject.name,
                policy: `${item.resourceKey} / ${item.policyName}`,
                groups: item.groups.join(", "),
                usage: usage(item),
                verdict: item.verdict,
                reason: item.reason,
              }))}
            />
          ) : (
            <Empty>Nobody in this review is yours to decide.</Empty>
          )}
        </div>
      ) : null}
      <Section title="Findings for the directory's owners">
        {findings.length === 0 ? (
          <Empty>No one is marked for removal.</Empty>
        ) : (
          <ul className="space-y-1 text-sm">
            {findings.map((item) => (
              <li key={item.id}>
                <span className="font-medium">{item.subject.name}</span> on {item.resourceKey} / {item.policyName}:{" "}
                {item.stillIn.length > 0
                  ? `take them out of ${item.stillIn.join(", ")}`
                  : "resolved (no longer in the groups)"}
                . <span className="text-slate-600">{item.reason}</span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Everyone in the review">
        {review.items.length === 0 ? (
          <Empty>Nobody was eligible under these policies when the review started.</Empty>
        ) : (
          <table className="w-full text-left text-sm">
            <ReviewItemHead then={["Verdict"]} />
            <tbody>
              {review.items.map((item) => (
                <tr key={item.id} className="border-b border-slate-100">
                  <td className="py-1">
                    {item.subject.name}
                    {item.subject.email ? <span className="text-slate-600"> ({item.subject.email})</span> : null}
                  </td>
                  <td className="py-1">
                    {item.resourceKey} / {item.policyName}
                  </td>
                  <td className="py-1">
                    {item.groups.join(", ")} <span className="text-slate-600">({item.groupsSource})</span>
                  </td>
                  <td className="py-1">{usage(item)}</td>
                  <td className="py-1">
                    {item.verdict ? (
                      <>
                        <Badge tone={VERDICT[item.verdict][1]}>{VERDICT[item.verdict][0]}</Badge> by {item.decidedBy}
                        {item.reason ? <span className="text-slate-600">: {item.reason}</span> : null}
                      </>
                    ) : (
                      <span className="text-slate-600">not reviewed</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
};

export default ReviewPage;
