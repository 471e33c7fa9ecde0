import { subjectIdOf } from "../auth/subject-id";
import type { Db, Prisma } from "../db";
import { queueGrantProvisioning } from "../provisioning/queue-grant-provisioning";
import { addOutboxJobs } from "../queue/outbox";
import type { TWebhookEventType, TWebhookPayload } from "./schemas";

/** Deterministic, so the same event queued twice (a retried job) is one delivery per endpoint. */
export const webhookEventId = (grantId: string, eventType: TWebhookEventType, occurredAt: Date): string =>
  `evt_${grantId}_${eventType}_${occurredAt.getTime()}`;

const WEBHOOK_GRANT_SELECT = {
  id: true,
  resourceId: true,
  permissions: true,
  startsAt: true,
  expiresAt: true,
  revokedAt: true,
  revokeReason: true,
  subject: { select: { id: true, email: true, issuer: true, subject: true } },
  resource: { select: { key: true } },
} as const;

/** What an event's payload says about its grant. */
export type TWebhookGrant = Prisma.GrantGetPayload<{ select: typeof WEBHOOK_GRANT_SELECT }>;

export const loadWebhookGrant = (tx: Db, grantId: string): Promise<TWebhookGrant | null> =>
  tx.grant.findUnique({ where: { id: grantId }, select: WEBHOOK_GRANT_SELECT });

/**
 * Inside the caller's transaction: one delivery per enabled endpoint of the grant's resource
 * that subscribes to `eventType`, and one outbox job per new delivery, so the deliveries
 * commit (or roll back) with the change that caused them. Calling it again for the same
 * (grant, event, instant) changes nothing.
 *
 * `data` adds what the grant row does not say: the revocation reason, or the expiry before an
 * extension. `sendAfter` schedules an event that has not happened yet (a grant's start or end,
 * known when the grant is made): the delivery and its delayed job exist from then on, so at the
 * instant the worker only signs and POSTs. Revocation or a moved expiry cancels it
 * (`cancelScheduledWebhooks`), and the sender re-checks the grant before it sends.
 */
type TQueueGrantWebhooks = {
  grantId: string;
  eventType: TWebhookEventType;
  occurredAt: Date;
  data?: { reason?: string | null; previousExpiresAt?: Date | null };
  sendAfter?: Date;
  /** The grant as the caller already read it in this transaction (saves reading it again). */
  grant?: TWebhookGrant;
};

export const queueGrantWebhooks = async (tx: Db, options: TQueueGrantWebhooks): Promise<{ deliveryIds: string[] }> => {
  const [queued] = await queueGrantWebhooksMany(tx, [options]);
  return { deliveryIds: queued?.deliveryIds ?? [] };
};

/** The same for many events in three statements (endpoints, deliveries, outbox), for batches. */
export const queueGrantWebhooksMany = async (
  tx: Db,
  events: TQueueGrantWebhooks[],
): Promise<Array<{ deliveryIds: string[] }>> => {
  if (events.length === 0) return [];
  const loaded = await Promise.all(
    events.map(async (event) => {
      const grant = event.grant ?? (await loadWebhookGrant(tx, event.grantId));
      if (!grant) throw new Error(`queueGrantWebhooks: no grant ${event.grantId}`);
      return { ...event, grant };
    }),
  );
  // The same events drive the resource's provisioning connectors (ADR 0034): this function is
  // the one place every start, extension and end of a grant passes through.
  await queueGrantProvisioning(
    tx,
    loaded.map((event) => ({
      grant: event.grant,
      eventType: event.eventType,
      occurredAt: event.occurredAt,
      sendAfter: event.sendAfter,
    })),
  );
  const endpoints = await tx.webhookEndpoint.findMany({
    where: {
      resourceId: { in: [...new Set(loaded.map((event) => event.grant.resourceId))] },
      disabledAt: null,
      events: { hasSome: [...new Set(events.map((event) => event.eventType))] },
    },
    select: { id: true, resourceId: true, events: true },
  });
  const rows = loaded.flatMap((event) => {
    const { grant, eventType, occurredAt } = event;
    const reason = event.data?.reason ?? (eventType === "grant.revoked" ? grant.revokeReason : null);
    const payload: TWebhookPayload = {
      type: eventType,
      timestamp: occurredAt.toISOString(),
      data: {
        grantId: grant.id,
        subject: { id: grant.subject.id, subjectId: subjectIdOf(grant.subject), email: grant.subject.email },
        resource: grant.resource.key,
        permissions: grant.permissions,
        startsAt: grant.startsAt.toISOString(),
        expiresAt: grant.expiresAt.toISOString(),
        ...(grant.revokedAt ? { revokedAt: grant.revokedAt.toISOString() } : {}),
        ...(reason ? { reason } : {}),
        ...(event.data?.previousExpiresAt ? { previousExpiresAt: event.data.previousExpiresAt.toISOString() } : {}),
      },
    };
    const eventId = webhookEventId(grant.id, eventType, occurredAt);
    return endpoints
      .filter((endpoint) => endpoint.resourceId === grant.resourceId && endpoint.events.includes(eventType))
      .map((endpoint) => ({
        endpointId: endpoint.id,
        grantId: grant.id,
        eventId,
        eventType,
        payload: payload as unknown as Prisma.InputJsonObject,
        sendAfter: event.sendAfter ?? null,
      }));
  });
  if (rows.length === 0) return events.map(() => ({ deliveryIds: [] }));

  // Unique (endpointId, eventId): a duplicate is skipped and returns no row, so it gets no job.
  const created = await tx.webhookDelivery.createManyAndReturn({
    data: rows,
    skipDuplicates: true,
    select: { id: true, eventId: true, sendAfter: true },
  });
  await addOutboxJobs(
    tx,
    created.map((delivery) => ({
      name: "webhook.deliver" as const,
      payload: { deliveryId: delivery.id },
      jobId: webhookJobId(delivery.id),
      runAt: delivery.sendAfter ?? undefined,
    })),
  );
  return loaded.map((event) => {
    const eventId = webhookEventId(event.grant.id, event.eventType, event.occurredAt);
    return { deliveryIds: created.filter((delivery) => delivery.eventId === eventId).map((delivery) => delivery.id) };
  });
};

export const webhookJobId = (deliveryId: string): string => `webhook:${deliveryId}`;

/**
 * Inside the caller's transaction: scheduled deliveries of the grant that are still ahead
 * (`sendAfter` later than `now`) will never be sent. With `eventType`, only those of that type.
 */
export const cancelScheduledWebhooks = async (
  tx: Db,
  options: { grantId: string; now: Date; reason: string; eventType?: TWebhookEventType },
): Promise<number> => {
  const { count } = await tx.webhookDelivery.updateMany({
    where: {
      grantId: options.grantId,
      deliveredAt: null,
      cancelledAt: null,
      sendAfter: { gt: options.now },
      ...(options.eventType ? { eventType: options.eventType } : {}),
    },
    data: { cancelledAt: options.now, cancelReason: options.reason },
  });
  return count;
};
