import type { TQueueHandlers } from "../lib/queue/runtime";
import { deliverWebhook } from "../lib/webhooks";

/**
 * The webhooks queue: one POST per job. A failed POST throws, so BullMQ retries it with
 * backoff; the delivery row keeps the count and the last answer for the admin page.
 */
export const webhooksHandlers: TQueueHandlers<"webhooks"> = {
  "webhook.deliver": async ({ deliveryId }, { signal }) => deliverWebhook({ deliveryId, signal }),
};
