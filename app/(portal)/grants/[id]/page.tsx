import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { requirePageActor } from "@/lib/auth/current-actor";
import { isAppError } from "@/lib/errors";
import { getGrantProvisioning } from "@/lib/provisioning";
import { IssueCredential, RevealCredential } from "./credential-panel";

export const metadata: Metadata = { title: "Grant" };

const GrantPage = async ({ params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const actor = await requirePageActor(`/grants/${encodeURIComponent(id)}`);
  const grant = await getGrantProvisioning({ actor, grantId: id }).catch((error: unknown) => {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  });
  const now = new Date();
  const live = !grant.revokedAt && grant.startsAt <= now && now < grant.expiresAt;
  return (
    <>
      <PageHeader
        title={`${grant.permissions.join(", ")} on ${grant.resource.name}`}
        description={`${grant.subject.name}'s grant, ${formatDateTime(grant.startsAt)} to ${formatDateTime(grant.expiresAt)}.`}
      />
      <p className="mb-6 flex flex-wrap items-center gap-2 text-sm">
        {grant.revokedAt ? (
          <Badge tone="red">revoked {formatDateTime(grant.revokedAt)}</Badge>
        ) : live ? (
          <Badge tone="green">active</Badge>
        ) : grant.expiresAt <= now ? (
          <Badge>expired</Badge>
        ) : (
          <Badge tone="blue">scheduled</Badge>
        )}
        {grant.requestId ? (
          <Link href={`/requests/${grant.requestId}`} className="underline">
            The request
          </Link>
        ) : null}
      </p>
      <Section title="Access in the targets">
        {grant.steps.length === 0 && grant.onDemand.length === 0 ? (
          <Empty>This resource has no provisioning connector, or it has not run yet.</Empty>
        ) : (
          <ul className="space-y-3">
            {grant.steps.map((step) => (
              <li key={step.connectorId} className="rounded-md border border-slate-200 bg-white p-3 text-sm">
                <p className="flex flex-wrap items-center gap-2">
                  <span className="font-medium">
                    {step.label}: {step.name}
                  </span>
                  {step.deprovisionedAt ? (
                    <Badge>removed {formatDateTime(step.deprovisionedAt)}</Badge>
                  ) : step.provisionedAt ? (
                    <Badge tone="green">provisioned</Badge>
                  ) : (
                    <Badge tone="amber">pending</Badge>
                  )}
                  {step.externalRef ? <code>{step.externalRef}</code> : null}
                  {step.lastError ? <Badge tone="red">last attempt failed: {step.lastError}</Badge> : null}
                </p>
                {step.credentialWaiting && live ? (
                  <div className="mt-2">
                    <RevealCredential grantId={grant.id} connectorId={step.connectorId} label={step.label} />
                  </div>
                ) : null}
                {grant.own && step.credentialViewedAt ? (
                  <p className="mt-1 text-slate-600">
                    Credential shown {formatDateTime(step.credentialViewedAt)}; not kept.
                  </p>
                ) : null}
              </li>
            ))}
            {live
              ? grant.onDemand.map((connector) => (
                  <li key={connector.id} className="rounded-md border border-slate-200 bg-white p-3">
                    <IssueCredential grantId={grant.id} connectorId={connector.id} label={connector.label} />
                  </li>
                ))
              : null}
          </ul>
        )}
      </Section>
      <Section title="Timeline">
        {grant.timeline.length === 0 ? (
          <Empty>Nothing yet.</Empty>
        ) : (
          <ol className="space-y-1 text-sm" aria-label="Provisioning timeline">
            {grant.timeline.map((entry, index) => (
              <li key={index} className="flex gap-3">
                <span className="whitespace-nowrap text-slate-600">{formatDateTime(entry.createdAt)}</span>
                <span className={entry.kind === "failed" || entry.kind === "signal" ? "text-red-700" : ""}>
                  {entry.message}
                </span>
              </li>
            ))}
          </ol>
        )}
      </Section>
    </>
  );
};

export default GrantPage;
