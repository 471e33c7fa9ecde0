import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { requirePageActor } from "@/lib/auth/current-actor";
import { getSubmission } from "@/lib/bundles";
import { isAppError } from "@/lib/errors";
import { BundleDecisionPanel } from "./bundle-decision-panel";

export const metadata: Metadata = { title: "Bundle request" };

const STATUS_TONE = {
  PENDING: "amber",
  APPROVED: "green",
  DENIED: "red",
  CANCELLED: "slate",
  EXPIRED: "slate",
} as const;

const SubmissionPage = async ({ params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const actor = await requirePageActor(`/submissions/${encodeURIComponent(id)}`);
  let submission;
  try {
    submission = await getSubmission({ actor, submissionId: id });
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  }
  const { progress } = submission;
  const decidable = submission.items
    .filter((item) => item.canDecide)
    .map((item) => ({ requestId: item.requestId, label: `${item.resourceKey} ${item.permission}` }));
  return (
    <>
      <PageHeader
        title={`Bundle: ${submission.bundleName}`}
        description={`Requested by ${submission.requester.name}${submission.requester.email ? ` (${submission.requester.email})` : ""} on ${formatDateTime(submission.createdAt)}`}
      />
      <p className="mb-6" data-testid="bundle-progress">
        {progress.approved} of {progress.total} approved
        {progress.pending > 0 ? ` · ${progress.pending} waiting` : ""}
        {progress.denied > 0 ? ` · ${progress.denied} denied` : ""}
        {progress.ended > 0 ? ` · ${progress.ended} cancelled or expired` : ""}
      </p>
      <div className="grid gap-8 lg:grid-cols-3">
        <div className="order-first lg:order-last">
          {/* Stays mounted after the decision, so its announcement survives the refresh. */}
          {submission.isRequester ? null : <BundleDecisionPanel submissionId={submission.id} items={decidable} />}
        </div>
        <div className="space-y-8 lg:col-span-2">
          <Section title="Items">
            <ul className="space-y-3" aria-label="Items of this bundle request">
              {submission.items.map((item) => (
                <li key={item.requestId} className="rounded-md border border-slate-200 bg-white p-4">
                  <h3 className="font-medium">
                    <Link href={`/requests/${item.requestId}`} className="underline-offset-2 hover:underline">
                      {item.permission} on {item.resourceName}
                    </Link>{" "}
                    <Badge tone={STATUS_TONE[item.status]}>{item.status.toLowerCase()}</Badge>
                  </h3>
                  <p className="mt-1 text-sm text-slate-700">
                    Policy {item.policyName} · {item.approvals} of {item.required} approval
                    {item.required === 1 ? "" : "s"}
                    {item.grant ? ` · grant ${item.grant.status}` : ""}
                    {!submission.isRequester && item.reason ? ` · ${item.reason}` : ""}
                  </p>
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Details">
            <dl className="grid grid-cols-1 gap-x-6 gap-y-3 rounded-md border border-slate-200 bg-white p-4 sm:grid-cols-2">
              <div>
                <dt className="text-sm text-slate-600">Duration</dt>
                <dd>{submission.durationMinutes} minutes</dd>
              </div>
              <div>
                <dt className="text-sm text-slate-600">Ticket</dt>
                <dd>{submission.ticket ?? "none"}</dd>
              </div>
              <div className="sm:col-span-2">
                <dt className="text-sm text-slate-600">Justification</dt>
                <dd className="whitespace-pre-wrap">{submission.justification}</dd>
              </div>
            </dl>
          </Section>
        </div>
      </div>
    </>
  );
};

export default SubmissionPage;
