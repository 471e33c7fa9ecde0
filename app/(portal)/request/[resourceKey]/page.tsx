import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Badge, PageHeader } from "@/app/components/ui";
import { listRequestable } from "@/lib/access";
import { requirePageActor } from "@/lib/auth/current-actor";
import { BreakGlassPanel } from "./break-glass-panel";
import { RequestForm } from "./request-form";

export const metadata: Metadata = { title: "Request access" };

const RequestResourcePage = async ({ params }: { params: Promise<{ resourceKey: string }> }) => {
  const { resourceKey } = await params;
  const actor = await requirePageActor(`/request/${encodeURIComponent(resourceKey)}`);
  // Only resources this person is eligible for exist here; others are indistinguishable from unknown.
  const [resource] = await listRequestable({ actor, resourceKey });
  if (!resource) notFound();
  return (
    <>
      <PageHeader title={`Request access to ${resource.resourceName}`} description={resource.description} />
      <p className="mb-6">
        <Badge tone={resource.environment === "production" ? "red" : "blue"}>{resource.environment}</Badge>
      </p>
      <RequestForm resource={resource} />
      {resource.policies.flatMap((policy) =>
        policy.breakGlassMaxMinutes === null
          ? []
          : [
              <BreakGlassPanel
                key={policy.id}
                resourceKey={resource.resourceKey}
                policy={{
                  id: policy.id,
                  permissions: policy.permissions,
                  breakGlassMaxMinutes: policy.breakGlassMaxMinutes,
                }}
              />,
            ],
      )}
    </>
  );
};

export default RequestResourcePage;
