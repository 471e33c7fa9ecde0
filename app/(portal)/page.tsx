import type { Metadata } from "next";
import Link from "next/link";
import { Countdown } from "@/app/components/countdown";
import { RevokeButton } from "@/app/components/revoke-button";
import { Badge, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { listMyAccess } from "@/lib/access";
import { getSetupProgress, type TSetupProgress } from "@/lib/catalog";
import { requirePageActor } from "@/lib/auth/current-actor";
import { When } from "@/app/components/when";

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

const SETUP_STEPS: Array<{ step: keyof TSetupProgress; text: string; href: string; action: string }> = [
  {
    step: "catalog",
    text: "Describe what can be requested: a resource and an access policy, or a policy file.",
    href: "/admin/resources",
    action: "Admin → Resources and access policies",
  },
  {
    step: "passkey",
    text: "Register your passkey: revoking someone's access is confirmed with it.",
    href: "/passkeys",
    action: "Passkeys",
  },
  {
    step: "approvers",
    text: "Ask your approvers to sign in and register theirs: every decision is confirmed with a passkey.",
    href: "/admin",
    action: "Admin → Users",
  },
  {
    step: "provisioning",
    text: "Connect provisioning, so a grant becomes real access in the target and ends there on time.",
    href: "/admin/resources",
    action: "Admin → Resources → Webhooks",
  },
];

/** The administrator's first-run checklist, until every step is done. */
const SetupChecklist = ({ progress }: { progress: TSetupProgress }) => (
  <section aria-labelledby="setup-heading" className="mb-8 rounded-md border border-blue-200 bg-blue-50 p-4">
    <h2 id="setup-heading" className="font-semibold">
      Set up the portal
    </h2>
    <ol className="mt-2 space-y-2" aria-label="Setup steps">
      {SETUP_STEPS.map(({ step, text, href, action }) => (
        <li key={step} className="flex flex-wrap items-baseline gap-x-2">
          <span aria-hidden="true">{progress[step] ? "✓" : "○"}</span>
          <span className={progress[step] ? "text-slate-600 line-through" : undefined}>{text}</span>
          <span className="sr-only">{progress[step] ? "(done)" : "(to do)"}</span>
          {progress[step] ? null : (
            <Link href={href} className="text-sm font-medium underline">
              {action}
            </Link>
          )}
        </li>
      ))}
    </ol>
  </section>
);

const MyAccessPage = async () => {
  const actor = await requirePageActor("/");
  const [access, setup] = await Promise.all([listMyAccess({ actor }), getSetupProgress({ actor })]);
  return (
    <>
      <PageHeader
        title="My access"
        description={`Signed in as ${actor.name}. Your groups: ${actor.groups.join(", ") || "none"}.`}
      />
      {setup && !Object.values(setup).every(Boolean) ? <SetupChecklist progress={setup} /> : null}
      <div className="mb-8 flex flex-wrap items-center gap-3">
        <Link
          href="/request"
          className="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700"
        >
          Request access
        </Link>
        {access.recent.length > 0 ? (
          <nav aria-label="Recently requested" className="flex flex-wrap items-center gap-2 text-sm">
            <span className="text-slate-600">Again:</span>
            {access.recent.map((resource) => (
              <Link
                key={resource.key}
                href={`/request/${resource.key}`}
                className="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-100"
              >
                {resource.name}
              </Link>
            ))}
          </nav>
        ) : null}
      </div>
      <Section title="Active grants">
        {access.active.length === 0 ? (
          <Empty>
            You hold no elevated access right now. When you need some,{" "}
            <Link href="/request" className="underline">
              request it
            </Link>{" "}
            for the time the work takes; it ends by itself.
          </Empty>
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
                <span className="text-sm text-slate-600">
                  until <When at={grant.expiresAt.toISOString()} />
                </span>
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
          <Empty>Nothing scheduled. A request can ask for a later start; its grant waits here until then.</Empty>
        ) : (
          <ul className="space-y-2" aria-label="Scheduled grants">
            {access.scheduled.map((grant) => (
              <li key={grant.id} className="rounded-md border border-slate-200 bg-white p-3">
                {requestLink(grant.requestId, `${grant.permissions.join(", ")} on ${grant.resourceName}`)} · starts{" "}
                <When at={grant.startsAt.toISOString()} /> · ends <When at={grant.expiresAt.toISOString()} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      {access.toAcknowledge.length > 0 ? (
        <Section title="Filed for you">
          <ul className="space-y-2" aria-label="Filed for you">
            {access.toAcknowledge.map((request) => (
              <li key={request.id} className="rounded-md border border-amber-300 bg-amber-50 p-3">
                {requestLink(request.id, `${request.permissions.join(", ")} on ${request.resourceName}`)} · filed by{" "}
                {request.filedBy} · nothing starts until you acknowledge it
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
      <Section title="Pending requests">
        {access.pending.length === 0 ? (
          <Empty>No requests waiting for a decision. Approvers are told when you submit one.</Empty>
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
                <Badge tone="slate">{grant.ending ? "ended early" : grant.status}</Badge> ·{" "}
                {grant.ending ?? `ended ${formatDateTime(grant.expiresAt)}`}
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
