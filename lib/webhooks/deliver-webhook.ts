import { db } from "../db";
import { incrementCounter } from "../metrics/registry";
import {
  outboundErrorClass,
  outboundRequest,
  type TOutboundErrorClass,
  type TOutboundPolicy,
} from "../security/outbound";
import { decryptSecret } from "./secrets";
import { signWebhook } from "./signature";

export const DELIVERY_TIMEOUT_MS = 10_000;
const USER_AGENT = "jit-access-webhooks/1";

export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = "WebhookDeliveryError";
  }
}

export type TDeliverResult =
  | { outcome: "delivered"; status: number }
  | { outcome: "skipped"; reason: "not found" | "already delivered" | "endpoint disabled" | "cancelled" };

/** A scheduled delivery's job ran early by more than the timer slack: retried with backoff. */
export class WebhookNotDueError extends Error {
  constructor(readonly sendAfter: Date) {
    super(`webhook delivery is not due until ${sendAfter.toISOString()}`);
    this.name = "WebhookNotDueError";
  }
}

// A delayed job may fire a little before its instant by the other clock; waiting out that
// much is cheaper than a retry.
const EARLY_SLACK_MS = 2_000;

type TScheduled = {
  eventType: string;
  sendAfter: Date | null;
  grant: { startsAt: Date; expiresAt: Date; revokedAt: Date | null } | null;
};

/** Why a scheduled event will not happen after all, or null while it still stands. */
const scheduledEventVoided = ({ eventType, sendAfter, grant }: TScheduled): string | null => {
  if (!sendAfter) return null;
  if (!grant) return "grant deleted";
  if (grant.revokedAt && grant.revokedAt < sendAfter) return "grant revoked first";
  if (eventType === "grant.expired" && grant.expiresAt.getTime() !== sendAfter.getTime()) return "expiry moved";
  if (eventType === "grant.activated" && grant.startsAt.getTime() !== sendAfter.getTime()) return "start moved";
  return null;
};

type TDeliveryRow = {
  id: string;
  eventId: string;
  eventType: string;
  payload: unknown;
  deliveredAt: Date | null;
  sendAfter: Date | null;
  cancelledAt: Date | null;
  endpoint: { url: string; secretEncrypted: string; disabledAt: Date | null };
  grant: { startsAt: Date; expiresAt: Date; revokedAt: Date | null } | null;
};

/**
 * The delivery with its endpoint and grant in one statement: this is the hot path at a burst of
 * expiries, where a query per relation costs more than the POST.
 */
const loadDelivery = async (deliveryId: string): Promise<TDeliveryRow | null> => {
  const rows = await db.$queryRaw<
    Array<
      Omit<TDeliveryRow, "endpoint" | "grant"> & {
        url: string;
        secretEncrypted: string;
        disabledAt: Date | null;
        startsAt: Date | null;
        expiresAt: Date | null;
        revokedAt: Date | null;
      }
    >
  >`select d.id, d."eventId", d."eventType", d.payload, d."deliveredAt", d."sendAfter", d."cancelledAt",
           e.url, e."secretEncrypted", e."disabledAt", g."startsAt", g."expiresAt", g."revokedAt"
      from "WebhookDelivery" d
      join "WebhookEndpoint" e on e.id = d."endpointId"
      left join "Grant" g on g.id = d."grantId"
     where d.id = ${deliveryId}`;
  const row = rows[0];
  if (!row) return null;
  const { url, secretEncrypted, disabledAt, startsAt, expiresAt, revokedAt, ...delivery } = row;
  return {
    ...delivery,
    endpoint: { url, secretEncrypted, disabledAt },
    grant: startsAt && expiresAt ? { startsAt, expiresAt, revokedAt } : null,
  };
};

/**
 * Sends one delivery: POSTs its payload signed per Standard Webhooks. A 2xx marks it
 * delivered; anything else records the attempt and throws, so the queue retries with backoff.
 * Every attempt carries the same `webhook-id` (receivers deduplicate on it) and a fresh
 * `webhook-timestamp` (receivers refuse old ones). Redirects are not followed: a moved
 * endpoint is an administrator's change to make, not the worker's.
 *
 * The POST goes through the outbound guard (lib/security/outbound, ADR 0032): a target that
 * is or resolves to an internal address not in OUTBOUND_ALLOWED_HOSTS is never contacted. A
 * failure is recorded as its class (`blocked_address`, `timeout`, `refused`, `tls`,
 * `http_4xx`, `http_5xx`, ...) in `lastError`; the receiver's answer is never read or kept.
 */
export const deliverWebhook = async (options: {
  deliveryId: string;
  signal?: AbortSignal;
  now?: () => Date;
  /** Tests: another allow-list than OUTBOUND_ALLOWED_HOSTS. */
  outboundPolicy?: TOutboundPolicy;
}): Promise<TDeliverResult> => {
  const now = options.now ?? (() => new Date());
  const delivery = await loadDelivery(options.deliveryId);
  // Deleted with its endpoint (cascade): nothing left to send.
  if (!delivery) return { outcome: "skipped", reason: "not found" };
  if (delivery.deliveredAt) return { outcome: "skipped", reason: "already delivered" };
  if (delivery.cancelledAt) return { outcome: "skipped", reason: "cancelled" };
  if (delivery.endpoint.disabledAt) return { outcome: "skipped", reason: "endpoint disabled" };
  // Scheduled events: the transaction that revokes or moves a grant cancels them; this check
  // covers a job already running at that moment.
  const voided = scheduledEventVoided(delivery);
  if (voided) {
    await db.webhookDelivery.updateMany({
      where: { id: delivery.id, deliveredAt: null, cancelledAt: null },
      data: { cancelledAt: now(), cancelReason: voided },
    });
    return { outcome: "skipped", reason: "cancelled" };
  }
  if (delivery.sendAfter) {
    const early = delivery.sendAfter.getTime() - now().getTime();
    if (early > EARLY_SLACK_MS) throw new WebhookNotDueError(delivery.sendAfter);
    if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
  }

  const body = JSON.stringify(delivery.payload);
  const timestamp = Math.floor(now().getTime() / 1000);
  const signature = signWebhook({
    secret: decryptSecret(delivery.endpoint.secretEncrypted),
    id: delivery.eventId,
    timestamp,
    body,
  });
  let status: number | null = null;
  let errorClass: TOutboundErrorClass | null = null;
  try {
    const response = await outboundRequest({
      url: delivery.endpoint.url,
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.eventId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature,
      },
      body,
      timeoutMs: DELIVERY_TIMEOUT_MS,
      signal: options.signal,
      policy: options.outboundPolicy,
    });
    status = response.status;
    errorClass = response.errorClass;
  } catch (caught) {
    errorClass = outboundErrorClass(caught);
  }
  const delivered = errorClass === null;
  const lastError = errorClass;
  await db.$executeRaw`update "WebhookDelivery"
      set attempts = attempts + 1, "lastStatus" = ${status}::int, "lastError" = ${lastError}::text,
          "deliveredAt" = case when ${delivered}::boolean then ${now()}::timestamp(3) else "deliveredAt" end
    where id = ${delivery.id}`;
  if (!delivered) incrementCounter("jit_webhook_delivery_failures_total");
  if (!delivered)
    throw new WebhookDeliveryError(
      `webhook delivery ${delivery.id} failed: ${errorClass}${status !== null ? ` (HTTP ${status})` : ""}`,
      status,
    );
  return { outcome: "delivered", status: status as number };
};
