import type { Metadata } from "next";
import { Badge, formatDateTime, PageHeader, Section, DataTable } from "@/app/components/ui";
import { listRecentAuditEvents } from "@/lib/audit/list-audit-events";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { SecurityNav } from "../security-nav";

export const metadata: Metadata = { title: "Audit events" };

const OUTCOME_TONE = { ALLOWED: "green", DENIED: "red", ERROR: "amber" } as const;

const SecurityPage = async () => {
  const actor = await requirePageActor("/security/events");
  await authorizePage(actor, "security.view");
  const events = await listRecentAuditEvents({ actor, limit: 50 });
  return (
    <>
      <PageHeader title="Audit events" description="The audit trail of sign-ins, decisions and changes." />
      <SecurityNav current="/security/events" />
      <Section title="Recent audit events">
        <DataTable
          caption="The 50 most recent audit events, newest first"
          columns={["Time", "Action", "Outcome", "Actor", "Target", "Reason"]}
        >
          {events.map((event) => (
            <tr key={event.id} className="border-t border-slate-100">
              <td className="px-3 py-2 whitespace-nowrap">{formatDateTime(event.occurredAt)}</td>
              <td className="px-3 py-2 font-mono">{event.action}</td>
              <td className="px-3 py-2">
                <Badge tone={OUTCOME_TONE[event.outcome]}>{event.outcome.toLowerCase()}</Badge>
              </td>
              <td className="px-3 py-2">
                {event.actorType.toLowerCase()} {event.actorId ?? ""}
              </td>
              <td className="px-3 py-2">{event.targetType ? `${event.targetType} ${event.targetId ?? ""}` : ""}</td>
              <td className="px-3 py-2">{event.reason ?? ""}</td>
            </tr>
          ))}
        </DataTable>
      </Section>
    </>
  );
};

export default SecurityPage;
