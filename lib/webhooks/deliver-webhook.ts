import { db } from "../db";
import { incrementCounter } from "../metrics/registry";
import { redactUrl } from "./auditable-url";
import { decryptSecret } from "./secrets";
import { signWebhook } from "./signature";

export const DELIVERY_TIMEOUT_MS = 10_000;
const USER_AGENT = "jit-access-webhooks/1";
// What is kept of a refusing receiver's answer, for the delivery history.
const ERROR_BODY_CHARS = 300;
const LAST_ERROR_CHARS = 1000;

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

/** At most `maxBytes` of the body; the rest is never read, so a huge answer costs nothing. */
const bodySnippet = async (response: Response, maxBytes = 2048): Promise<string> => {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // The snippet is a courtesy; a broken body does not change the outcome.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8");
};

const describeError = (error: unknown): string => {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return `timed out after ${DELIVERY_TIMEOUT_MS / 1000} s`;
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code
      ? `${error.message}: ${cause.code}`
      : cause?.message
        ? `${error.message}: ${cause.message}`
        : error.message;
  }
  return String(error);
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
 */
export const deliverWebhook = async (options: {
  deliveryId: string;
  signal?: AbortSignal;
  now?: () => Date;
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
  const timeout = AbortSignal.timeout(DELIVERY_TIMEOUT_MS);

  let status: number | null = null;
  let error: string | null = null;
  try {
    const response = await fetch(delivery.endpoint.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.eventId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature,
      },
      body,
      redirect: "manual",
      signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
    });
    status = response.status;
    if (status >= 200 && status < 300) {
      await response.body?.cancel().catch(() => undefined);
    } else {
      const snippet = (await bodySnippet(response)).trim().slice(0, ERROR_BODY_CHARS);
      error = `HTTP ${status}${snippet ? `: ${snippet}` : ""}`;
    }
  } catch (caught) {
    // Undici quotes the URL in some errors; its query string may be a credential (auditable-url.ts).
    error = redactUrl(describeError(caught), delivery.endpoint.url);
  }

  const delivered = error === null;
  const lastError = error?.slice(0, LAST_ERROR_CHARS) ?? null;
  await db.$executeRaw`update "WebhookDelivery"
      set attempts = attempts + 1, "lastStatus" = ${status}::int, "lastError" = ${lastError}::text,
          "deliveredAt" = case when ${delivered}::boolean then ${now()}::timestamp(3) else "deliveredAt" end
    where id = ${delivery.id}`;
  if (!delivered) incrementCounter("jit_webhook_delivery_failures_total");
  if (!delivered) throw new WebhookDeliveryError(`webhook delivery ${delivery.id} failed: ${error}`, status);
  return { outcome: "delivered", status: status as number };
};
