import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Empty, formatDateTime, PageHeader } from "@/app/components/ui";
import { getExtendableGrant } from "@/lib/access/get-extendable-grant";
import { requirePageActor } from "@/lib/auth/current-actor";
import { ExtendForm } from "./extend-form";

export const metadata: Metadata = { title: "Extend access" };

const ExtendPage = async ({ params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const actor = await requirePageActor(`/grants/${encodeURIComponent(id)}/extend`);
  const grant = await getExtendableGrant({ actor, grantId: id });
  if (!grant) notFound();
  return (
    <>
      <PageHeader
        title={`More time on ${grant.permissions.join(", ")} on ${grant.resourceName}`}
        description={`Ends ${formatDateTime(grant.expiresAt)}. An extension goes through the same approvals as the request did.`}
      />
      {grant.headroom < 5 ? (
        <Empty>This grant is at its policy&apos;s maximum duration. Request access again when it ends.</Empty>
      ) : (
        <ExtendForm grantId={grant.id} headroom={grant.headroom} minJustification={grant.minJustification} />
      )}
    </>
  );
};

export default ExtendPage;
