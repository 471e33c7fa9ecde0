import type { Metadata } from "next";
import Link from "next/link";
import { Badge, Empty, PageHeader, Section, DataTable } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { listCatalog } from "@/lib/catalog";
import { PolicySummary } from "./policy-summary";
import { ResourceForm } from "./resource-form";

export const metadata: Metadata = { title: "Resources" };

const ResourcesPage = async () => {
  const actor = await requirePageActor("/admin/resources");
  await authorizePage(actor, "catalog.manage");
  const resources = await listCatalog({ actor });
  return (
    <>
      <PageHeader
        title="Resources"
        description="What can be requested, and the policies that say who may request and approve it. Every change is audited."
      />
      <p className="mb-6 text-sm">
        <Link href="/admin" className="underline">
          Back to Admin
        </Link>{" "}
        ·{" "}
        <Link href="/admin/policies" className="underline">
          Export or import the catalog
        </Link>
      </p>
      <Section title="Catalog">
        {resources.length === 0 ? (
          <Empty>No resources yet. Add one below.</Empty>
        ) : (
          <DataTable
            caption="Resources and their access policies"
            columns={["Resource", "Environment", "Permissions", "Policies"]}
          >
            {resources.map((resource) => (
              <tr
                key={resource.id}
                className="border-t border-slate-100 align-top"
                data-testid={`resource-row-${resource.key}`}
              >
                <td className="px-3 py-2">
                  <Link href={`/admin/resources/${encodeURIComponent(resource.key)}`} className="font-medium underline">
                    {resource.name}
                  </Link>
                  <div className="font-mono text-xs text-slate-600">{resource.key}</div>
                  {resource.archivedAt ? <Badge tone="amber">archived</Badge> : null}
                </td>
                <td className="px-3 py-2">{resource.environment}</td>
                <td className="px-3 py-2">{resource.permissions.join(", ")}</td>
                <td className="px-3 py-2">
                  {resource.policies.length === 0 ? (
                    <span className="text-slate-600">No policy: nobody can request it.</span>
                  ) : (
                    <ul className="space-y-1">
                      {resource.policies.map((policy) => (
                        <li key={policy.id}>
                          <PolicySummary policy={policy} />
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
      <Section title="Add a resource">
        <ResourceForm />
      </Section>
    </>
  );
};

export default ResourcesPage;
