import type { Metadata } from "next";
import { Empty, formatDateTime, PageHeader } from "@/app/components/ui";
import { listApprovalInbox } from "@/lib/access/eligibility";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";

export const metadata: Metadata = { title: "Approvals" };

const ApprovalsPage = async () => {
  const actor = await requirePageActor("/approvals");
  await authorizePage(actor, "approvals.view");
  const inbox = await listApprovalInbox({ actor });
  return (
    <>
      <PageHeader title="Approvals" description="Requests waiting for your decision." />
      {inbox.length === 0 ? (
        <Empty>No requests are waiting for you.</Empty>
      ) : (
        <ul className="space-y-2">
          {inbox.map((request) => (
            <li key={request.id} className="rounded-md border border-slate-200 bg-white p-3">
              <span className="font-medium">{request.requester.name}</span> asks for {request.permissions.join(", ")} on{" "}
              {request.resource.name} for {request.durationMinutes} min · {request.approvals.length}/{request.policy.approvalsRequired}{" "}
              approvals · submitted {formatDateTime(request.createdAt)}
            </li>
          ))}
        </ul>
      )}
    </>
  );
};

export default ApprovalsPage;
