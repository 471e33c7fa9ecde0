import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { getCatalogResource } from "@/lib/catalog";
import { isAppError } from "@/lib/errors";
import { listConnectors } from "@/lib/provisioning";
import { AttachConnectorForm, ConnectorButtons } from "./connector-forms";

export const metadata: Metadata = { title: "Provisioning" };

const ProvisioningPage = async ({ params }: { params: Promise<{ key: string }> }) => {
  const { key } = await params;
  const actor = await requirePageActor(`/admin/resources/${encodeURIComponent(key)}/provisioning`);
  await authorizePage(actor, "catalog.manage");
  const resource = await getCatalogResource({ actor, key }).catch((error: unknown) => {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  });
  const { kinds, connectors } = await listConnectors({ actor, resourceKey: resource.key });

  return (
    <>
      <PageHeader
        title={`Provisioning: ${resource.name}`}
        description="Connectors make a grant's access real in the target at its start and take it away at its end, live sessions included."
      />
      <p className="mb-6 text-sm">
        <Link href={`/admin/resources/${encodeURIComponent(resource.key)}`} className="underline">
          Back to {resource.key}
        </Link>
      </p>
      <Section title="Connectors">
        {connectors.length === 0 ? (
          <Empty>No connector: grants of this resource change nothing in any target.</Empty>
        ) : (
          <ul className="space-y-4">
            {connectors.map((connector) => (
              <li
                key={connector.id}
                className="rounded-md border border-slate-200 bg-white p-4"
                data-testid={`connector-${connector.name}`}
              >
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-medium">
                    {connector.label}: {connector.name}
                  </span>
                  {connector.disabledAt ? (
                    <Badge tone="red">disabled {formatDateTime(connector.disabledAt)}</Badge>
                  ) : (
                    <Badge tone="green">enabled</Badge>
                  )}
                  {connector.hasCredential ? (
                    <Badge>credential stored</Badge>
                  ) : (
                    <Badge tone="amber">no credential</Badge>
                  )}
                  {connector.autoRemoveDrift ? <Badge tone="blue">removes drift</Badge> : null}
                  {connector.openFindings > 0 ? <Badge tone="red">{connector.openFindings} open findings</Badge> : null}
                </div>
                <pre className="mt-2 overflow-x-auto rounded bg-slate-50 p-2 text-xs">
                  {JSON.stringify(connector.settings, null, 2)}
                </pre>
                <p className="mt-2 text-sm">
                  Mapping:{" "}
                  {Object.entries(connector.mapping)
                    .map(([permission, targets]) => `${permission} → ${targets.join(", ")}`)
                    .join("; ") || "none"}
                </p>
                {connector.facts.map((fact) => (
                  <p key={fact.label} className="mt-1 text-sm">
                    {fact.label}: <code className="break-all">{fact.value}</code>
                  </p>
                ))}
                {connector.lastTestAt ? (
                  <p className="mt-1 text-sm text-slate-600">
                    Last test {formatDateTime(connector.lastTestAt)}: {connector.lastTestOk ? "works" : "failed"}.{" "}
                    {connector.lastTestDetail}
                  </p>
                ) : null}
                {connector.disabledAt ? null : (
                  <ConnectorButtons resourceKey={resource.key} connectorId={connector.id} name={connector.name} />
                )}
              </li>
            ))}
          </ul>
        )}
      </Section>
      {resource.archivedAt ? null : (
        <Section title="Attach a connector">
          <AttachConnectorForm resourceKey={resource.key} permissions={resource.permissions} kinds={kinds} />
        </Section>
      )}
    </>
  );
};

export default ProvisioningPage;
