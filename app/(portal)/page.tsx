import type { Metadata } from "next";
import { Badge, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { listMyAccess } from "@/lib/access/list-my-access";
import { requirePageActor } from "@/lib/auth/current-actor";

export const metadata: Metadata = { title: "My access" };

const MyAccessPage = async () => {
  const actor = await requirePageActor("/");
  const access = await listMyAccess({ actor });
  return (
    <>
      <PageHeader title="My access" description={`Signed in as ${actor.name}. Your groups: ${actor.groups.join(", ") || "none"}.`} />
      <Section title="Active grants">
        {access.active.length === 0 ? (
          <Empty>You hold no elevated access right now.</Empty>
        ) : (
          <ul className="space-y-2">
            {access.active.map((grant) => (
              <li key={grant.id} className="rounded-md border border-slate-200 bg-white p-3">
                <span className="font-medium">{grant.resourceName}</span> · {grant.permissions.join(", ")} ·{" "}
                <Badge tone="green">active</Badge> until {formatDateTime(grant.expiresAt)}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Scheduled grants">
        {access.scheduled.length === 0 ? (
          <Empty>Nothing scheduled.</Empty>
        ) : (
          <ul className="space-y-2">
            {access.scheduled.map((grant) => (
              <li key={grant.id} className="rounded-md border border-slate-200 bg-white p-3">
                {grant.resourceName} · {grant.permissions.join(", ")} · starts {formatDateTime(grant.startsAt)}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Pending requests">
        {access.pending.length === 0 ? (
          <Empty>No requests waiting for a decision.</Empty>
        ) : (
          <ul className="space-y-2">
            {access.pending.map((request) => (
              <li key={request.id} className="rounded-md border border-slate-200 bg-white p-3">
                {request.resourceName} · {request.permissions.join(", ")} · {request.durationMinutes} min · submitted{" "}
                {formatDateTime(request.createdAt)}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
};

export default MyAccessPage;
