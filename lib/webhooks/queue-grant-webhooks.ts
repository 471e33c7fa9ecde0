import type { Db, Prisma } from "../db";
import { addOutboxJob } from "../queue/outbox";
import type { TWebhookEventType, TWebhookPayload } from "./schemas";

/** Deterministic, so the same event queued twice (a retried job) is one delivery per endpoint. */
export const webhookEventId = (grantId: string, eventType: TWebhookEventType, occurredAt: Date): string =>
  `evt_${grantId}_${eventType}_${occurredAt.getTime()}`;

/**
 * Inside the caller's transaction: one delivery per enabled endpoint of the grant's resource
 * that subscribes to `eventType`, and one outbox job per new delivery, so the deliveries
 * commit (or roll back) with the change that caused them. Calling it again for the same
 * (grant, event, instant) changes nothing.
 *
 * `data` adds what the grant row does not say: the revocation reason, or the expiry before an
 * extension.
 */
export const queueGrantWebhooks = async (
  tx: Db,
  options: {
    grantId: string;
    eventType: TWebhookEventType;
    occurredAt: Date;
    data?: { reason?: string | null; previousExpiresAt?: Date | null };
  },
): Promise<{ deliveryIds: string[] }> => {
  const { grantId, eventType, occurredAt } = options;
  const grant = await tx.grant.findUnique({
    where: { id: grantId },
    select: {
      id: true,
      resourceId: true,
      permissions: true,
      startsAt: true,
      expiresAt: true,
      revokedAt: true,
      revokeReason: true,
      subject: { select: { id: true, email: true } },
      resource: { select: { key: true } },
    },
  });
  if (!grant) throw new Error(`queueGrantWebhooks: no grant ${grantId}`);

  const endpoints = await tx.webhookEndpoint.findMany({
    where: { resourceId: grant.resourceId, disabledAt: null, events: { has: eventType } },
    select: { id: true },
  });
  if (endpoints.length === 0) return { deliveryIds: [] };

  const reason = options.data?.reason ?? (eventType === "grant.revoked" ? grant.revokeReason : null);
  const payload: TWebhookPayload = {
    type: eventType,
    timestamp: occurredAt.toISOString(),
    data: {
      grantId: grant.id,
      subject: { id: grant.subject.id, email: grant.subject.email },
      resource: grant.resource.key,
      permissions: grant.permissions,
      startsAt: grant.startsAt.toISOString(),
      expiresAt: grant.expiresAt.toISOString(),
      ...(grant.revokedAt ? { revokedAt: grant.revokedAt.toISOString() } : {}),
      ...(reason ? { reason } : {}),
      ...(options.data?.previousExpiresAt ? { previousExpiresAt: options.data.previousExpiresAt.toISOString() } : {}),
    },
  };
  const eventId = webhookEventId(grantId, eventType, occurredAt);

  // Unique (endpointId, eventId): a duplicate is skipped and returns no row, so it gets no job.
  const created = await tx.webhookDelivery.createManyAndReturn({
    data: endpoints.map((endpoint) => ({ endpointId: endpoint.id, grantId, eventId, eventType, payload: payload as unknown as Prisma.InputJsonObject })),
    skipDuplicates: true,
    select: { id: true },
  });
  for (const delivery of created) {
    await addOutboxJob(tx, { name: "webhook.deliver", payload: { deliveryId: delivery.id }, jobId: `webhook:${delivery.id}` });
  }
  return { deliveryIds: created.map((delivery) => delivery.id) };
};
