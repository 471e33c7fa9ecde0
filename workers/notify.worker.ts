import { syncRequestMessages } from "../lib/chat";
import { sendNotification } from "../lib/notify";
import type { TQueueHandlers } from "../lib/queue/runtime";

/**
 * The notify queue: one delivery (e-mail or chat) of a stored notification per job. A thrown
 * error (SMTP refused, webhook non-2xx) is retried by BullMQ with backoff.
 */
export const notifyHandlers: TQueueHandlers<"notify"> = {
  "notify.send": async (payload) =>
    sendNotification({ notificationId: payload.notificationId, channel: payload.channel }),
  "chat.sync": async (payload) => syncRequestMessages({ requestId: payload.requestId, provider: payload.provider }),
};
