import type { Metadata } from "next";
import { Empty, formatDateTime, PageHeader } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { listDriftFindings } from "@/lib/provisioning";
import { SecurityNav } from "../security-nav";

export const metadata: Metadata = { title: "Findings" };

const FindingsPage = async () => {
  const actor = await requirePageActor("/security/findings");
  await authorizePage(actor, "security.view");
  const findings = await listDriftFindings({ actor });
  return (
    <>
      <PageHeader
        title="Findings"
        description="Access found in a connected target that no live grant explains: standing privilege added by hand, or a removal that half-failed. Checked periodically; a finding closes when the access is gone."
      />
      <SecurityNav current="/security/findings" />
      {findings.length === 0 ? (
        <Empty>No open findings.</Empty>
      ) : (
        <table className="w-full text-left text-sm" aria-label="Open findings">
          <thead className="border-b border-slate-200 text-slate-600">
            <tr>
              <th className="py-1 pr-3 font-medium">Resource</th>
              <th className="py-1 pr-3 font-medium">Connector</th>
              <th className="py-1 pr-3 font-medium">Access</th>
              <th className="py-1 pr-3 font-medium">First seen</th>
              <th className="py-1 font-medium">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {findings.map((finding) => (
              <tr key={finding.id} className="border-b border-slate-100 align-top">
                <td className="py-1 pr-3">{finding.connector.resource.name}</td>
                <td className="py-1 pr-3">
                  {finding.connector.kind}: {finding.connector.name}
                </td>
                <td className="py-1 pr-3">{finding.description}</td>
                <td className="py-1 pr-3 whitespace-nowrap">{formatDateTime(finding.firstSeenAt)}</td>
                <td className="py-1 whitespace-nowrap">{formatDateTime(finding.lastSeenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
};

export default FindingsPage;
