import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { PageHeader } from "@/app/components/ui";
import { requirePageActor } from "@/lib/auth/current-actor";
import { listRequestableBundles } from "@/lib/bundles";
import { BundleForm } from "./bundle-form";

export const metadata: Metadata = { title: "Request a bundle" };

const BundlePage = async ({ params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const actor = await requirePageActor(`/bundles/${encodeURIComponent(id)}`);
  // Only bundles the person may request in full are shown; any other id is "not found".
  const [bundle] = id.length <= 64 ? await listRequestableBundles({ actor, bundleId: id }) : [];
  if (!bundle) notFound();
  return (
    <>
      <PageHeader
        title={`Request the bundle ${bundle.name}`}
        description={bundle.description || "Every item is a request of its own, decided under its own policy."}
      />
      <ul className="mb-6 max-w-2xl space-y-1" aria-label="Items of this bundle">
        {bundle.items.map((item) => (
          <li key={item.label}>
            <span className="font-medium">{item.label}</span>{" "}
            <span className="text-sm text-slate-600">
              ({item.resourceName}, policy {item.policyName}, up to {item.maxDurationMinutes} min)
            </span>
          </li>
        ))}
      </ul>
      <BundleForm bundle={bundle} />
    </>
  );
};

export default BundlePage;
