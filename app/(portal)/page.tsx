import type { Metadata } from "next";
import Link from "next/link";
import { Countdown } from "@/app/components/countdown";
import { RevokeButton } from "@/app/components/revoke-button";
import { Badge, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { listMyAccess } from "@/lib/access";
import { requirePageActor } from "@/lib/auth/current-actor";

export const metadata: Metadata = { title: "My access" };

const STATUS_TONE = {
  APPROVED: "green",
  DENIED: "red",
  CANCELLED: "slate",
  EXPIRED: "slate",
  PENDING: "amber",
} as const;

const requestLink = (id: string | null, text: string) =>
  id ? (
    <Link href={`/requests/${id}`} className="underline-offset-2 hover:underline">
      {text}
    </Link>
  ) : (
    text
  );

const MyAccessPage = async () => {
  const actor = await requirePageActor("/");
  const access = await listMyAccess({ actor });
  return (
    <>
      <PageHeader
        title="My access"
        description={`Signed in as ${actor.name}. Your groups: ${actor.groups.join(", ") || "none"}.`}
      />
      <Section title="Active grants">
        {access.active.length === 0 ? (
          <Empty>You hold no elevated access right now.</Empty>
        ) : (
          <ul className="space-y-2" aria-label="Active grants">
            {access.active.map((grant) => (
              <li
                key={grant.id}
                className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border border-slate-200 bg-white p-3"
              >
                <span className="font-medium">
                  {requestLink(grant.requestId, `${grant.permissions.join(", ")} on ${grant.resourceName}`)}
                </span>
                <Badge tone="green">active</Badge>
                <Countdown until={grant.expiresAt.toISOString()} label={`Time left on ${grant.resourceName}`} />
                <span className="text-sm text-slate-600">until {formatDateTime(grant.expiresAt)}</span>
                <Link
                  href={`/grants/${grant.id}`}
                  aria-label={`Details and credentials of ${grant.permissions.join(", ")} on ${grant.resourceName}`}
                  className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100"
                >
                  Details
                </Link>
                <Link
                  href={`/grants/${grant.id}/extend`}
                  aria-label={`Extend ${grant.permissions.join(", ")} on ${grant.resourceName}`}
                  className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100"
                >
                  Extend
                </Link>
                <RevokeButton
                  grantId={grant.id}
                  own
                  label={`End ${grant.permissions.join(", ")} on ${grant.resourceName} now`}
                />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Scheduled grants">
        {access.scheduled.length === 0 ? (
          <Empty>Nothing scheduled.</Empty>
        ) : (
          <ul className="space-y-2" aria-label="Scheduled grants">
            {access.scheduled.map((grant) => (
              <li key={grant.id} className="rounded-md border border-slate-200 bg-white p-3">
                {requestLink(grant.requestId, `${grant.permissions.join(", ")} on ${grant.resourceName}`)} · starts{" "}
                {formatDateTime(grant.startsAt)} · ends {formatDateTime(grant.expiresAt)}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Pending requests">
        {access.pending.length === 0 ? (
          <Empty>No requests waiting for a decision.</Empty>
        ) : (
          <ul className="space-y-2" aria-label="Pending requests">
            {access.pending.map((request) => (
              <li key={request.id} className="rounded-md border border-slate-200 bg-white p-3">
                {requestLink(request.id, `${request.permissions.join(", ")} on ${request.resourceName}`)} ·{" "}
                {request.durationMinutes} min · submitted {formatDateTime(request.createdAt)}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Ended grants">
        {access.past.length === 0 ? (
          <Empty>No ended grants.</Empty>
        ) : (
          <ul className="space-y-2" aria-label="Ended grants">
            {access.past.map((grant) => (
              <li key={grant.id} className="rounded-md border border-slate-200 bg-white p-3">
                {requestLink(grant.requestId, `${grant.permissions.join(", ")} on ${grant.resourceName}`)}{" "}
                <Badge tone="slate">{grant.status}</Badge> ·{" "}
                {grant.status === "revoked" ? "revoked" : `ended ${formatDateTime(grant.expiresAt)}`}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="History">
        {access.history.length === 0 && access.past.length === 0 ? (
          <Empty>No past requests.</Empty>
        ) : (
          <ul className="space-y-2" aria-label="History">
            {access.history.map((request) => (
              <li key={request.id} className="rounded-md border border-slate-200 bg-white p-3">
                {requestLink(request.id, `${request.permissions.join(", ")} on ${request.resourceName}`)}{" "}
                <Badge tone={STATUS_TONE[request.status as keyof typeof STATUS_TONE] ?? "slate"}>
                  {request.status.toLowerCase()}
                </Badge>{" "}
                · submitted {formatDateTime(request.createdAt)}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
};

export default MyAccessPage;
