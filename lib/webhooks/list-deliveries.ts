import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { boundedText, endpointNotFound } from "./internal";

export type TWebhookDelivery = {
  id: string;
  eventId: string;
  eventType: string;
  grantId: string | null;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
  sendAfter: Date | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
};

export const MAX_DELIVERIES = 200;

/**
 * Administrators: an endpoint's deliveries, newest first. With `resourceKey`, an endpoint of
 * another resource is NOT_FOUND (so a page for one resource never shows another's).
 */
export const listDeliveries = async (options: {
  actor: TUserActor;
  endpointId: string;
  resourceKey?: string;
  limit?: number;
  context?: TAuditContext;
}): Promise<TWebhookDelivery[]> => {
  await assertCan(options.actor, "catalog.manage", undefined, options.context);
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), MAX_DELIVERIES);
  const endpoint = await db.webhookEndpoint.findFirst({
    where: {
      id: boundedText(options.endpointId),
      ...(options.resourceKey !== undefined ? { resource: { key: boundedText(options.resourceKey) } } : {}),
    },
    select: {
      deliveries: {
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: limit,
        select: {
          id: true,
          eventId: true,
          eventType: true,
          grantId: true,
          attempts: true,
          lastStatus: true,
          lastError: true,
          deliveredAt: true,
          createdAt: true,
          sendAfter: true,
          cancelledAt: true,
          cancelReason: true,
        },
      },
    },
  });
  if (!endpoint) throw endpointNotFound();
  return endpoint.deliveries;
};
