import type { Metadata } from "next";
import { Badge, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { Countdown } from "@/app/components/countdown";
import { getRequestDetail } from "@/lib/access";
import { requirePageActor } from "@/lib/auth/current-actor";
import { isAppError } from "@/lib/errors";
import { forbidden, notFound } from "next/navigation";
import { RevokeButton } from "@/app/components/revoke-button";
import { RiskSignals } from "@/app/components/risk-signals";
import { CancelButton } from "./cancel-button";
import { DecisionPanel } from "./decision-panel";
import { When } from "@/app/components/when";

export const metadata: Metadata = { title: "Request" };

const STATUS_TONE = {
  PENDING: "amber",
  APPROVED: "green",
  DENIED: "red",
  CANCELLED: "slate",
  EXPIRED: "slate",
} as const;

const RequestPage = async ({ params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const actor = await requirePageActor(`/requests/${encodeURIComponent(id)}`);
  let request;
  try {
    request = await getRequestDetail({ actor, requestId: id });
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    if (isAppError(error) && error.code === "FORBIDDEN") forbidden();
    throw error;
  }
  return (
    <>
      <PageHeader
        title={`${request.extendsGrantId ? `More time (+${request.durationMinutes} min): ` : ""}${request.permissions.join(", ")} on ${request.resource.name}`}
        description={`Requested by ${request.requester.name}${request.requester.email ? ` (${request.requester.email})` : ""} on ${formatDateTime(request.createdAt)}`}
      />
      <p className="mb-6 flex flex-wrap items-center gap-3">
        <Badge tone={STATUS_TONE[request.status]}>{request.status.toLowerCase()}</Badge>
        {request.breakGlass ? <Badge tone="red">break-glass</Badge> : null}
        {request.grant?.breakGlass ? (
          <span data-testid="break-glass-review">
            {request.grant.reviewedAt
              ? `Reviewed by security ${formatDateTime(request.grant.reviewedAt)}`
              : "Awaiting post-incident review by security"}
          </span>
        ) : null}
        {request.breakGlass ? null : (
          <span data-testid="approval-count">
            {request.approvals} of {request.policy.approvalsRequired} approval
            {request.policy.approvalsRequired === 1 ? "" : "s"}
          </span>
        )}
        {request.grant?.status === "active" ? (
          <span>
            Grant active · <Countdown until={request.grant.expiresAt.toISOString()} label="Time left on this grant" />
          </span>
        ) : null}
      </p>

      <div className="grid gap-8 lg:grid-cols-3">
        <div className="space-y-8 lg:col-span-2">
          <Section title="Details">
            <dl className="grid grid-cols-1 gap-x-6 gap-y-3 rounded-md border border-slate-200 bg-white p-4 sm:grid-cols-2">
              <div>
                <dt className="text-sm text-slate-600">Resource</dt>
                <dd>
                  {request.resource.name} ({request.resource.environment})
                </dd>
              </div>
              <div>
                <dt className="text-sm text-slate-600">Permissions</dt>
                <dd>{request.permissions.join(", ")}</dd>
              </div>
              <div>
                <dt className="text-sm text-slate-600">Duration</dt>
                <dd>{request.durationMinutes} minutes</dd>
              </div>
              <div>
                <dt className="text-sm text-slate-600">Start</dt>
                <dd>
                  {request.requestedStartAt ? <When at={request.requestedStartAt.toISOString()} /> : "when approved"}
                </dd>
              </div>
              <div>
                <dt className="text-sm text-slate-600">Ticket</dt>
                <dd>{request.ticket ?? "none"}</dd>
              </div>
              <div>
                <dt className="text-sm text-slate-600">Decide by</dt>
                <dd>
                  <When at={request.decideBy.toISOString()} />
                </dd>
              </div>
              <div className="sm:col-span-2">
                <dt className="text-sm text-slate-600">Justification</dt>
                <dd className="whitespace-pre-wrap">{request.justification}</dd>
              </div>
            </dl>
          </Section>
          <Section title="Risk">
            <RiskSignals score={request.risk.score} signals={request.risk.signals} />
            {request.risk.extraApprovals > 0 ? (
              <p className="mt-2 text-sm">
                The policy&apos;s risk threshold asks for {request.risk.extraApprovals} more approval
                {request.risk.extraApprovals === 1 ? "" : "s"} than usual.
              </p>
            ) : null}
          </Section>
          <Section title="Timeline">
            <ol className="space-y-2" aria-label="Timeline">
              {request.timeline.map((entry, index) => (
                <li key={`${entry.kind}-${index}`} className="flex gap-3">
                  <span className="w-44 shrink-0 text-sm text-slate-600">{formatDateTime(entry.at)}</span>
                  <span>{entry.text}</span>
                </li>
              ))}
            </ol>
          </Section>
        </div>
        <div className="space-y-4">
          {/* Stays mounted after the decision, so its announcement survives the refresh. */}
          {request.viewer.canDecide || request.viewer.alreadyDecided ? (
            <DecisionPanel requestId={request.id} canDecide={request.viewer.canDecide} />
          ) : null}
          {request.viewer.canCancel ? <CancelButton requestId={request.id} /> : null}
          {request.grant &&
          request.viewer.canRevoke &&
          (request.grant.status === "active" || request.grant.status === "scheduled") ? (
            <section aria-label="Revoke this grant" className="rounded-md border border-slate-200 bg-white p-4">
              <h2 className="mb-2 text-lg font-medium">
                {request.viewer.isRequester ? "End this grant" : "Revoke this grant"}
              </h2>
              <RevokeButton
                grantId={request.grant.id}
                own={request.viewer.isRequester}
                label={request.viewer.isRequester ? "End this grant now" : "Revoke this grant"}
              />
            </section>
          ) : null}
        </div>
      </div>
    </>
  );
};

export default RequestPage;
