import { db } from "../db";
import { incrementCounter } from "../metrics/registry";
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

export type TDeliverResult = { outcome: "delivered"; status: number } | { outcome: "skipped"; reason: "not found" | "already delivered" | "endpoint disabled" };

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
    return cause?.code ? `${error.message}: ${cause.code}` : cause?.message ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
};

/**
 * Sends one delivery: POSTs its payload signed per Standard Webhooks. A 2xx marks it
 * delivered; anything else records the attempt and throws, so the queue retries with backoff.
 * Every attempt carries the same `webhook-id` (receivers deduplicate on it) and a fresh
 * `webhook-timestamp` (receivers refuse old ones). Redirects are not followed: a moved
 * endpoint is an administrator's change to make, not the worker's.
 */
export const deliverWebhook = async (options: { deliveryId: string; signal?: AbortSignal; now?: () => Date }): Promise<TDeliverResult> => {
  const now = options.now ?? (() => new Date());
  const delivery = await db.webhookDelivery.findUnique({
    where: { id: options.deliveryId },
    select: { id: true, eventId: true, payload: true, deliveredAt: true, endpoint: { select: { url: true, secretEncrypted: true, disabledAt: true } } },
  });
  // Deleted with its endpoint (cascade): nothing left to send.
  if (!delivery) return { outcome: "skipped", reason: "not found" };
  if (delivery.deliveredAt) return { outcome: "skipped", reason: "already delivered" };
  if (delivery.endpoint.disabledAt) return { outcome: "skipped", reason: "endpoint disabled" };

  const body = JSON.stringify(delivery.payload);
  const timestamp = Math.floor(now().getTime() / 1000);
  const signature = signWebhook({ secret: decryptSecret(delivery.endpoint.secretEncrypted), id: delivery.eventId, timestamp, body });
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
    error = describeError(caught);
  }

  const delivered = error === null;
  await db.webhookDelivery.update({
    where: { id: delivery.id },
    data: {
      attempts: { increment: 1 },
      lastStatus: status,
      lastError: error?.slice(0, LAST_ERROR_CHARS) ?? null,
      ...(delivered ? { deliveredAt: now() } : {}),
    },
  });
  if (!delivered) incrementCounter("jit_webhook_delivery_failures_total");
  if (!delivered) throw new WebhookDeliveryError(`webhook delivery ${delivery.id} failed: ${error}`, status);
  return { outcome: "delivered", status: status as number };
};
