import type { Metadata } from "next";
import Link from "next/link";
import { Badge, Empty, PageHeader } from "@/app/components/ui";
import { listRequestable } from "@/lib/access";
import { requirePageActor } from "@/lib/auth/current-actor";
import { can } from "@/lib/authz";
import { listRequestableBundles } from "@/lib/bundles";

export const metadata: Metadata = { title: "Request access" };

const RequestPage = async () => {
  const actor = await requirePageActor("/request");
  const [resources, bundles] = await Promise.all([listRequestable({ actor }), listRequestableBundles({ actor })]);
  return (
    <>
      <PageHeader title="Request access" description="Resources and permissions your groups are eligible to request." />
      {bundles.length > 0 ? (
        <section aria-label="Bundles" className="mb-8">
          <h2 className="mb-3 text-lg font-medium">Bundles</h2>
          <ul className="grid gap-4 sm:grid-cols-2" aria-label="Requestable bundles">
            {bundles.map((bundle) => (
              <li key={bundle.id} className="rounded-md border border-slate-200 bg-white p-4">
                <h3 className="font-medium">{bundle.name}</h3>
                <p className="mt-1 text-sm text-slate-600">{bundle.description}</p>
                <p className="mt-2 text-sm">{bundle.items.map((item) => item.label).join(" · ")}</p>
                <Link
                  href={`/bundles/${bundle.id}`}
                  aria-label={`Request the bundle ${bundle.name}`}
                  className="mt-4 inline-block rounded-md bg-slate-900 px-3 py-2 text-sm font-medium text-white hover:bg-slate-700"
                >
                  Request the bundle
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {resources.length === 0 ? (
        <Empty>
          No access policy lets your groups ({actor.groups.join(", ") || "none"}) request anything yet.{" "}
          {can(actor, "catalog.manage") ? (
            <Link href="/admin/resources" className="underline">
              Create a resource and its access policy
            </Link>
          ) : (
            "Ask an administrator of the portal to add a policy for one of your groups."
          )}
        </Empty>
      ) : (
        <ul className="grid gap-4 sm:grid-cols-2" aria-label="Requestable resources">
          {resources.map((resource) => (
            <li key={resource.resourceKey} className="rounded-md border border-slate-200 bg-white p-4">
              <h2 className="font-medium">
                <Link href={`/request/${resource.resourceKey}`} className="underline-offset-2 hover:underline">
                  {resource.resourceName}
                </Link>{" "}
                <Badge tone={resource.environment === "production" ? "red" : "blue"}>{resource.environment}</Badge>
              </h2>
              <p className="mt-1 text-sm text-slate-600">{resource.description}</p>
              <ul className="mt-3 space-y-1 text-sm">
                {resource.policies.map((policy) => (
                  <li key={policy.id}>
                    <span className="font-medium">{policy.permissions.join(", ")}</span>: up to{" "}
                    {policy.maxDurationMinutes} min, {policy.approvalsRequired} approval
                    {policy.approvalsRequired === 1 ? "" : "s"}
                    {policy.ticketRequired ? ", ticket required" : ""}
                  </li>
                ))}
              </ul>
              <Link
                href={`/request/${resource.resourceKey}`}
                aria-label={`Request access to ${resource.resourceName}`}
                className="mt-4 inline-block rounded-md bg-slate-900 px-3 py-2 text-sm font-medium text-white hover:bg-slate-700"
              >
                Request access
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
};

export default RequestPage;
