import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { getCatalogResource } from "@/lib/catalog";
import { isAppError } from "@/lib/errors";
import { ConfirmForm } from "../confirm-form";
import { PolicyForm } from "../policy-form";
import { PolicySummary } from "../policy-summary";
import { ResourceForm } from "../resource-form";

export const metadata: Metadata = { title: "Resource" };

const ResourcePage = async ({ params }: { params: Promise<{ key: string }> }) => {
  const { key } = await params;
  const actor = await requirePageActor(`/admin/resources/${encodeURIComponent(key)}`);
  await authorizePage(actor, "catalog.manage");
  const resource = await getCatalogResource({ actor, key }).catch((error: unknown) => {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  });
  const archived = resource.archivedAt !== null;

  return (
    <>
      <PageHeader title={resource.name} description={`Resource ${resource.key} (${resource.environment})`} />
      <p className="mb-6 text-sm">
        <Link href="/admin/resources" className="underline">
          All resources
        </Link>
        {" · "}
        <Link href={`/admin/resources/${encodeURIComponent(resource.key)}/webhooks`} className="underline">
          Webhooks
        </Link>
        {" · "}
        <Link href={`/admin/resources/${encodeURIComponent(resource.key)}/provisioning`} className="underline">
          Provisioning
        </Link>
      </p>
      {resource.archivedAt ? (
        <p className="mb-6 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm" role="note">
          <Badge tone="amber">archived</Badge> since {formatDateTime(resource.archivedAt)}. It can no longer be
          requested, and is kept as it was for the history of its requests and grants.
        </p>
      ) : null}

      <Section title="Resource">
        {archived ? (
          <dl className="grid max-w-2xl grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="font-medium">Description</dt>
            <dd>{resource.description || "—"}</dd>
            <dt className="font-medium">Permissions</dt>
            <dd>{resource.permissions.join(", ")}</dd>
          </dl>
        ) : (
          <ResourceForm
            resource={{
              key: resource.key,
              name: resource.name,
              description: resource.description,
              environment: resource.environment,
              slackChannel: resource.slackChannel,
              permissions: resource.permissions,
            }}
          />
        )}
      </Section>

      <Section title="Policies">
        {resource.policies.length === 0 ? (
          <Empty>No policy yet: nobody can request this resource.</Empty>
        ) : (
          <ul className="space-y-3">
            {resource.policies.map((policy) => (
              <li
                key={policy.id}
                className="rounded-md border border-slate-200 bg-white p-4"
                data-testid={`policy-${policy.name}`}
              >
                <p className="text-sm">
                  <PolicySummary policy={policy} />
                </p>
                {archived ? null : (
                  <>
                    <details className="mt-3">
                      <summary className="cursor-pointer text-sm font-medium underline">
                        Edit policy {policy.name}
                      </summary>
                      <div className="mt-3">
                        <PolicyForm
                          resourceKey={resource.key}
                          resourcePermissions={resource.permissions}
                          policy={policy}
                        />
                      </div>
                    </details>
                    <div className="mt-3">
                      <ConfirmForm
                        action="deletePolicy"
                        hidden={{ policyId: policy.id }}
                        label="Delete"
                        accessibleLabel={`Delete policy ${policy.name}`}
                        confirmation={`Delete policy "${policy.name}"? Requests already filed under it must be decided first.`}
                      />
                    </div>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </Section>

      {archived ? null : (
        <>
          <Section title="Add a policy">
            <div className="rounded-md border border-slate-200 bg-white p-4">
              <PolicyForm resourceKey={resource.key} resourcePermissions={resource.permissions} />
            </div>
          </Section>
          <Section title="Archive">
            <p className="mb-2 text-sm text-slate-600">
              Archiving stops new requests for this resource. It and its policies stay, read-only, for the history.
              Refused while requests are pending.
            </p>
            <ConfirmForm
              action="archiveResource"
              hidden={{ resourceKey: resource.key }}
              label="Archive"
              accessibleLabel={`Archive resource ${resource.key}`}
              confirmation={`Archive ${resource.key}? It can no longer be requested. This can't be undone here.`}
            />
          </Section>
        </>
      )}
    </>
  );
};

export default ResourcePage;
