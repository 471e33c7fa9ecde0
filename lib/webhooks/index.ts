/**
 * Webhooks: administrators register endpoints per resource; grant events (activated, expired,
 * revoked, extended) are queued in the transaction that causes them and POSTed by the worker,
 * signed per the Standard Webhooks specification, retried until a 2xx.
 */
export { createEndpoint } from "./create-endpoint";
export {
  deliverWebhook,
  DELIVERY_TIMEOUT_MS,
  type TDeliverResult,
  WebhookDeliveryError,
  WebhookNotDueError,
} from "./deliver-webhook";
export { disableEndpoint } from "./disable-endpoint";
export { listDeliveries, MAX_DELIVERIES, type TWebhookDelivery } from "./list-deliveries";
export { listEndpoints, type TWebhookEndpoint } from "./list-endpoints";
export {
  cancelScheduledWebhooks,
  loadWebhookGrant,
  queueGrantWebhooks,
  queueGrantWebhooksMany,
  type TWebhookGrant,
  webhookEventId,
  webhookJobId,
} from "./queue-grant-webhooks";
export {
  type TCreateEndpointInput,
  type TWebhookEventType,
  type TWebhookPayload,
  WEBHOOK_EVENT_TYPES,
  ZCreateEndpoint,
  ZWebhookEventType,
} from "./schemas";
export { decryptSecret, encryptSecret, generateSecret, SECRET_PREFIX } from "./secrets";
export { signWebhook, type TVerifyResult, verifyWebhook } from "./signature";
