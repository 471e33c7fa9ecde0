import type { Metadata } from "next";
import Link from "next/link";
import { Empty, PageHeader, Section } from "@/app/components/ui";
import { RowActionButton } from "@/app/components/row-action-button";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { BUNDLE_ITEM_FORMAT, bundleItemsText, listBundlesForAdmin } from "@/lib/catalog";
import { deleteBundleAction } from "./actions";
import { BundleAdminForm } from "./bundle-admin-form";

export const metadata: Metadata = { title: "Bundles" };

/**
 * Bundles (ADR 0054): several resource + permission pairs requested together with one
 * justification, each item under its own policy. The catalog document carries them too.
 */
const BundlesAdminPage = async () => {
  const actor = await requirePageActor("/admin/bundles");
  await authorizePage(actor, "catalog.manage");
  const bundles = await listBundlesForAdmin(actor, await requestContext());
  return (
    <>
      <PageHeader
        title="Bundles"
        description="Several permissions requested together with one justification (an incident's database, cluster and dashboard). Each item follows its own policy: its requesters, approvers and limits."
      />
      <p className="mb-6 text-sm">
        <Link href="/admin/policies" className="underline">
          Export or import the catalog
        </Link>{" "}
        to keep bundles in git with the policies.
      </p>
      <Section title="New bundle">
        <BundleAdminForm initial={{ name: "", description: "", items: "" }} itemFormat={BUNDLE_ITEM_FORMAT} />
      </Section>
      <Section title="Bundles">
        {bundles.length === 0 ? (
          <Empty>No bundle yet.</Empty>
        ) : (
          <ul className="space-y-6">
            {bundles.map((bundle) => (
              <li key={bundle.id} aria-label={bundle.name} className="rounded-md border border-slate-200 bg-white p-4">
                <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
                  <h3 className="font-medium">{bundle.name}</h3>
                  <span className="text-sm text-slate-600">
                    {bundle.submissions} request{bundle.submissions === 1 ? "" : "s"} so far
                  </span>
                  <RowActionButton
                    action={deleteBundleAction}
                    id={bundle.id}
                    label="Delete"
                    accessibleName={`Delete the bundle ${bundle.name}`}
                    confirmation={`Delete the bundle ${bundle.name}? Engineers can no longer request it; its past requests stay.`}
                  />
                </div>
                <BundleAdminForm
                  id={bundle.id}
                  initial={{ name: bundle.name, description: bundle.description, items: bundleItemsText(bundle.items) }}
                  itemFormat={BUNDLE_ITEM_FORMAT}
                />
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
};

export default BundlesAdminPage;
