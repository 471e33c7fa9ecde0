import type { Metadata } from "next";
import Link from "next/link";
import { PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { ImportForm } from "./import-form";

export const metadata: Metadata = { title: "Policies: export and import" };

const link =
  "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-slate-900";

const PoliciesPage = async () => {
  const actor = await requirePageActor("/admin/policies");
  await authorizePage(actor, "catalog.manage");
  return (
    <>
      <PageHeader
        title="Policies: export and import"
        description="The whole catalog (resources and their access policies) as one document, to review and version in git."
      />
      <p className="mb-6 text-sm">
        <Link href="/admin/resources" className="underline">
          Edit resources and policies one by one
        </Link>
      </p>
      <Section title="Export">
        <p className="mb-3 text-sm text-slate-600">
          Live resources, ordered by key and policy name, so the file diffs cleanly. Archived resources are left out.
        </p>
        <div className="flex flex-wrap gap-3">
          {/* Plain links: a download is a navigation, not a client-side route change. */}
          <a href="/admin/policies/export?format=yaml" download className={link}>
            Download YAML
          </a>
          <a href="/admin/policies/export?format=json" download className={link}>
            Download JSON
          </a>
        </div>
      </Section>
      <Section title="Import">
        <div className="mb-3 max-w-3xl space-y-1 text-sm text-slate-600">
          <p>
            The document is checked completely first; if anything is wrong, every problem is listed and nothing changes.
          </p>
          <p>
            Resources are matched by key and policies by name within their resource: missing ones are created, differing
            ones updated. A resource&apos;s policies in the document are its complete list: policies it leaves out are
            deleted (refused while requests refer to them). Resources the document leaves out are left alone; archive
            them here in the admin area. Archived resources can&apos;t be changed by import.
          </p>
          <p>Dry run shows the plan without writing; Apply writes it in one transaction, audited as one event.</p>
        </div>
        <ImportForm />
      </Section>
    </>
  );
};

export default PoliciesPage;
