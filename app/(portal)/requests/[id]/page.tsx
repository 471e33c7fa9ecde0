import type { Metadata } from "next";
import Link from "next/link";
import { Badge, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { Countdown } from "@/app/components/countdown";
import { getRequestDetail } from "@/lib/access";
import { requirePageActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { redeemDecisionLink } from "@/lib/chat/decision-link";
import { isAppError } from "@/lib/errors";
import { forbidden, notFound, redirect } from "next/navigation";
import { RevokeButton } from "@/app/components/revoke-button";
import { RiskSignals } from "@/app/components/risk-signals";
import { AcknowledgePanel } from "./acknowledge-panel";
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

type TSearch = { link?: string | string[]; decision?: string | string[] };

const one = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const RequestPage = async ({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<TSearch>;
}) => {
  const { id } = await params;
  const search = await searchParams;
  const link = one(search.link);
  const here = `/requests/${encodeURIComponent(id)}`;
  // A chat button's link survives the sign-in round trip; it is checked only once signed in.
  const actor = await requirePageActor(link ? `${here}?link=${encodeURIComponent(link)}` : here);
  let linkNotice: string | null = null;
  if (link) {
    let chosen: "approve" | "deny" | null = null;
    try {
      chosen =
        (await redeemDecisionLink({ actor, requestId: id, token: link, context: await requestContext() })).decision ===
        "APPROVE"
          ? "approve"
          : "deny";
    } catch (error) {
      if (!isAppError(error)) throw error;
      if (error.code === "NOT_FOUND") notFound();
      linkNotice = error.message;
    }
    // Used up: the address bar keeps no token, and a reload preselects without spending it again.
    if (chosen) redirect(`${here}?decision=${chosen}`);
  }
  const decisionParam = one(search.decision);
  const preselected = decisionParam === "approve" ? "APPROVE" : decisionParam === "deny" ? "DENY" : null;
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
        description={`Requested ${request.filedBy ? `by ${request.filedBy.name} for` : "by"} ${request.requester.name}${request.requester.email ? ` (${request.requester.email})` : ""} on ${formatDateTime(request.createdAt)}`}
      />
      <p className="mb-6 flex flex-wrap items-center gap-3">
        <Badge tone={STATUS_TONE[request.status]}>{request.status.toLowerCase()}</Badge>
        {request.breakGlass ? <Badge tone="red">break-glass</Badge> : null}
        {request.awaitingAcknowledgment ? (
          <Badge tone="amber">waits for {request.requester.name} to acknowledge</Badge>
        ) : null}
        {request.submissionId ? (
          <Link href={`/submissions/${request.submissionId}`} className="underline">
            Part of a bundle: see all its items
          </Link>
        ) : null}
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
        {/* On a phone the decision comes first, right under the facts above. */}
        <div className="order-first space-y-4 lg:order-last">
          {linkNotice ? (
            <p role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
              {linkNotice}
            </p>
          ) : null}
          {request.viewer.canDecide && request.viewer.decidingFor ? (
            <p className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
              You decide this request for {request.viewer.decidingFor}, who delegated their approvals to you. Your
              decision counts as theirs and is recorded with both names.
            </p>
          ) : null}
          {request.delegations.length > 0 ? (
            <div className="rounded-md border border-slate-200 bg-white p-3 text-sm">
              <h2 className="font-medium">Delegated approvals</h2>
              <ul className="mt-1 list-disc pl-5" aria-label="Delegated approvals">
                {request.delegations.map((delegation) => (
                  <li key={`${delegation.delegator}-${delegation.delegate}`}>
                    {delegation.delegator} to {delegation.delegate}, until <When at={delegation.endsAt.toISOString()} />
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {/* Stays mounted after the decision, so its announcement survives the refresh. */}
          {request.viewer.canDecide || request.viewer.alreadyDecided ? (
            <DecisionPanel
              requestId={request.id}
              canDecide={request.viewer.canDecide}
              preselected={request.viewer.canDecide ? preselected : null}
            />
          ) : preselected && request.status !== "PENDING" ? (
            <p role="alert" className="rounded-md border border-slate-300 bg-white p-3">
              This request is already decided ({request.status.toLowerCase()}).
            </p>
          ) : null}
        </div>
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
          {request.stages.length > 1 ? (
            <Section title="Approval stages">
              <ol className="space-y-2" aria-label="Approval stages">
                {request.stages.map((stage) => (
                  <li key={stage.index} data-testid={`stage-${stage.index + 1}`} data-state={stage.state}>
                    <span className="font-medium">
                      {stage.index + 1}. {stage.name}
                    </span>{" "}
                    <span>({STAGE_STATE[stage.state]})</span>
                    <span className="block text-sm text-slate-600">
                      {stage.approvalsRequired} approval{stage.approvalsRequired === 1 ? "" : "s"} from{" "}
                      {stage.approverGroups.join(", ")}
                      {stage.approvers.length > 0 ? ` · decided by ${stage.approvers.join(", ")}` : ""}
                      {stage.escalatedAt ? " · escalated" : ""}
                    </span>
                  </li>
                ))}
              </ol>
            </Section>
          ) : null}
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
          {/* Stays mounted after the acknowledgment, so its announcement survives the refresh. */}
          {request.filedBy &&
          (request.viewer.canAcknowledge || (request.viewer.isRequester && request.acknowledgedAt)) ? (
            <AcknowledgePanel
              requestId={request.id}
              filedBy={request.filedBy.name}
              acknowledged={!request.viewer.canAcknowledge}
            />
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

const STAGE_STATE = {
  complete: "complete",
  open: "open now",
  waiting: "waits for the stage before",
  denied: "denied",
} as const;

export default RequestPage;
