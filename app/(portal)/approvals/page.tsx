import type { Metadata } from "next";
import Link from "next/link";
import { Badge, Empty, formatDateTime, PageHeader } from "@/app/components/ui";
import { listApprovalInbox } from "@/lib/access";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { parseRiskSignals } from "@/lib/risk";
import { RiskSignals } from "@/app/components/risk-signals";
import { When } from "@/app/components/when";

export const metadata: Metadata = { title: "Approvals" };

const ApprovalsPage = async () => {
  const actor = await requirePageActor("/approvals");
  await authorizePage(actor, "approvals.view");
  const inbox = await listApprovalInbox({ actor });
  return (
    <>
      <PageHeader
        title="Approvals"
        description="Requests waiting for your decision. Each decision is confirmed with your passkey."
      />
      <p className="mb-6 text-sm">
        Who may request the policies you approve is recertified in{" "}
        <Link href="/reviews" className="underline">
          access reviews
        </Link>
        .
      </p>
      {inbox.length === 0 ? (
        <Empty>No requests are waiting for you.</Empty>
      ) : (
        <ul className="space-y-3" aria-label="Requests waiting for you">
          {inbox.map((request) => {
            const approvals = request.approvals.filter((approval) => approval.decision === "APPROVE");
            const required = request.policy.approvalsRequired + request.extraApprovals;
            return (
              <li key={request.id} className="rounded-md border border-slate-200 bg-white p-4">
                <h2 className="font-medium">
                  <Link href={`/requests/${request.id}`} className="underline-offset-2 hover:underline">
                    {request.requester.name}: {request.permissions.join(", ")} on {request.resource.name}
                  </Link>{" "}
                  <Badge tone={request.resource.environment === "production" ? "red" : "blue"}>
                    {request.resource.environment}
                  </Badge>
                </h2>
                {request.filedBy ? (
                  <p className="mt-1 text-sm">
                    Filed by {request.filedBy.name} for {request.requester.name}
                  </p>
                ) : null}
                {request.decidingFor ? (
                  <p className="mt-1 text-sm">
                    <Badge tone="amber">For {request.decidingFor}</Badge> delegated to you: you decide as their delegate
                  </p>
                ) : null}
                <p className="mt-1 text-sm text-slate-700">
                  {request.durationMinutes} min{request.ticket ? ` · ticket ${request.ticket}` : ""} · submitted{" "}
                  {formatDateTime(request.createdAt)} · decide by <When at={request.decideBy.toISOString()} />
                </p>
                <p className="mt-2 whitespace-pre-wrap">{request.justification}</p>
                {request.submissionId ? (
                  <p className="mt-1 text-sm">
                    <Link href={`/submissions/${request.submissionId}`} className="underline">
                      Part of a bundle: decide its items together
                    </Link>
                  </p>
                ) : null}
                <div className="mt-2">
                  <RiskSignals score={request.riskScore} signals={parseRiskSignals(request.riskSignals)} compact />
                </div>
                <p className="mt-2 text-sm">
                  {required - approvals.length} more approval{required - approvals.length === 1 ? "" : "s"} needed
                  {approvals.length > 0
                    ? ` · approved by ${approvals.map((approval) => approval.approver.name).join(", ")}`
                    : ""}
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
};

export default ApprovalsPage;
