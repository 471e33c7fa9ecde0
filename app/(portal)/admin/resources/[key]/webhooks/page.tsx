import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { getCatalogResource } from "@/lib/catalog";
import { isAppError } from "@/lib/errors";
import { describeOutboundError } from "@/lib/security/outbound";
import { listDeliveries, listEndpoints, type TWebhookDelivery } from "@/lib/webhooks";
import { DisableEndpointForm } from "./disable-endpoint-form";
import { EndpointForm } from "./endpoint-form";

export const metadata: Metadata = { title: "Webhooks" };

const DELIVERIES_SHOWN = 25;

const DeliveryStatus = ({ delivery }: { delivery: TWebhookDelivery }) => {
  if (delivery.deliveredAt) return <Badge tone="green">delivered</Badge>;
  if (delivery.cancelledAt) return <Badge>cancelled: {delivery.cancelReason ?? "event did not happen"}</Badge>;
  if (delivery.attempts === 0 && delivery.sendAfter && delivery.sendAfter > new Date())
    return <Badge tone="blue">scheduled for {formatDateTime(delivery.sendAfter)}</Badge>;
  if (delivery.attempts === 0) return <Badge tone="blue">queued</Badge>;
  return <Badge tone="amber">retrying</Badge>;
};

const Deliveries = ({ deliveries }: { deliveries: TWebhookDelivery[] }) =>
  deliveries.length === 0 ? (
    <Empty>No deliveries yet.</Empty>
  ) : (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 text-slate-600">
          <tr>
            <th className="py-1 pr-3 font-medium">Event</th>
            <th className="py-1 pr-3 font-medium">Grant</th>
            <th className="py-1 pr-3 font-medium">Status</th>
            <th className="py-1 pr-3 font-medium">Attempts</th>
            <th className="py-1 pr-3 font-medium">Last status</th>
            <th className="py-1 pr-3 font-medium">Last error</th>
            <th className="py-1 pr-3 font-medium">Queued</th>
            <th className="py-1 font-medium">Delivered at</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((delivery) => (
            <tr key={delivery.id} className="border-b border-slate-100 align-top">
              <td className="py-1 pr-3 font-mono">{delivery.eventType}</td>
              <td className="py-1 pr-3 font-mono text-xs">{delivery.grantId ?? "—"}</td>
              <td className="py-1 pr-3">
                <DeliveryStatus delivery={delivery} />
              </td>
              <td className="py-1 pr-3">{delivery.attempts}</td>
              <td className="py-1 pr-3">{delivery.lastStatus ?? "—"}</td>
              <td className="max-w-xs py-1 pr-3 break-words text-slate-700">
                {delivery.lastError ? `${delivery.lastError}: ${describeOutboundError(delivery.lastError)}` : "—"}
              </td>
              <td className="py-1 pr-3 whitespace-nowrap">{formatDateTime(delivery.createdAt)}</td>
              <td className="py-1 whitespace-nowrap">
                {delivery.deliveredAt ? formatDateTime(delivery.deliveredAt) : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

const WebhooksPage = async ({ params }: { params: Promise<{ key: string }> }) => {
  const { key } = await params;
  const actor = await requirePageActor(`/admin/resources/${encodeURIComponent(key)}/webhooks`);
  await authorizePage(actor, "catalog.manage");
  const resource = await getCatalogResource({ actor, key }).catch((error: unknown) => {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  });
  const endpoints = await listEndpoints({ actor, resourceKey: resource.key });
  const deliveries = await Promise.all(
    endpoints.map((endpoint) =>
      listDeliveries({ actor, endpointId: endpoint.id, resourceKey: resource.key, limit: DELIVERIES_SHOWN }),
    ),
  );

  return (
    <>
      <PageHeader
        title={`Webhooks: ${resource.name}`}
        description={`Grant events of ${resource.key}, POSTed to target systems and signed per Standard Webhooks.`}
      />
      <p className="mb-6 text-sm">
        <Link href={`/admin/resources/${encodeURIComponent(resource.key)}`} className="underline">
          Back to {resource.key}
        </Link>
      </p>

      <Section title="Endpoints">
        {endpoints.length === 0 ? (
          <Empty>No endpoint yet: no system hears about grants of this resource.</Empty>
        ) : (
          <ul className="space-y-4">
            {endpoints.map((endpoint, index) => (
              <li
                key={endpoint.id}
                className="rounded-md border border-slate-200 bg-white p-4"
                data-testid={`endpoint-${endpoint.id}`}
              >
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-mono text-sm break-all">{endpoint.url}</span>
                  {endpoint.disabledAt ? (
                    <Badge tone="red">disabled {formatDateTime(endpoint.disabledAt)}</Badge>
                  ) : (
                    <Badge tone="green">enabled</Badge>
                  )}
                </div>
                <p className="mt-1 text-sm text-slate-600">
                  Events: {endpoint.events.join(", ")}. Created {formatDateTime(endpoint.createdAt)}.
                </p>
                {endpoint.disabledAt ? null : (
                  <div className="mt-3">
                    <DisableEndpointForm resourceKey={resource.key} endpointId={endpoint.id} url={endpoint.url} />
                  </div>
                )}
                <h3 className="mt-4 mb-2 text-sm font-medium">Delivery history (newest {DELIVERIES_SHOWN})</h3>
                <Deliveries deliveries={deliveries[index] ?? []} />
              </li>
            ))}
          </ul>
        )}
      </Section>

      {resource.archivedAt ? null : (
        <Section title="Add an endpoint">
          <EndpointForm resourceKey={resource.key} />
        </Section>
      )}
    </>
  );
};

export default WebhooksPage;
