import { z } from "zod";

/**
 * Every queue and every job, declared once. A job name maps to the queue it runs on and the
 * zod schema of its payload; the producer validates with that schema before a job is added
 * and the runtime parses with it again before a handler sees the payload, because Redis is
 * shared and anything can be written to it.
 *
 * `grant-lifecycle` and `notify` are declared so producers and types can be written against
 * them; no worker consumes them yet (workers/index.ts starts only the queues it has handlers
 * for).
 */

export const QUEUE_NAMES = ["maintenance", "grant-lifecycle", "notify", "webhooks", "provisioning"] as const;
export type TQueueName = (typeof QUEUE_NAMES)[number];

export const ZSessionsPrunePayload = z.strictObject({});
export const ZGrantJobPayload = z.strictObject({ grantId: z.uuid() });
/** One delivery of a stored Notification: its e-mail copy, or (security notices) the chat post. */
export const ZNotifySendPayload = z.strictObject({ notificationId: z.uuid(), channel: z.enum(["email", "chat"]) });
/** Post or update every chat message about one request (lib/chat/sync-request-messages.ts). */
export const ZChatSyncPayload = z.strictObject({ requestId: z.uuid(), provider: z.enum(["slack", "teams"]) });
/** Escalate one request's open stage if it is still undecided (ADR 0055). */
export const ZRequestJobPayload = z.strictObject({ requestId: z.uuid() });
export const ZWebhookDeliverPayload = z.strictObject({ deliveryId: z.uuid() });
/** One connector's step for one grant (lib/provisioning): make the access real, or take it away. */
export const ZProvisioningPayload = z.strictObject({
  grantId: z.uuid(),
  connectorId: z.uuid(),
  action: z.enum(["provision", "deprovision"]),
});

/** Per-job BullMQ options over the defaults (lib/queue/connection.ts). */
type TJobOptions = { attempts?: number; backoff?: { type: "capped" } };
type TJobDefinition = { queue: TQueueName; schema: z.ZodType; options?: TJobOptions };

/** The options a job adds to the queue defaults, if any. */
export const jobOptionsOf = (name: TJobName): TJobOptions => (JOBS[name] as TJobDefinition).options ?? {};

/**
 * Webhook deliveries are retried until the receiver answers 2xx: capped exponential backoff
 * (1 s doubling to 1 h, lib/queue/runtime.ts), 500 attempts, about three weeks.
 */
export const RETRY_UNTIL_DELIVERED: TJobOptions = { attempts: 500, backoff: { type: "capped" } };

/**
 * Provisioning steps: a few quick retries (1 s doubling, about 4 min in all), then the job is
 * listed in *Failed jobs*; the sweeper (lib/provisioning/sweep-ended-grants.ts) keeps closing an
 * ended grant from PostgreSQL at every pass after that, whatever became of the job.
 */
export const RETRY_PROVISIONING: TJobOptions = { attempts: 8, backoff: { type: "capped" } };

/**
 * Chat messages: a handful of retries (about 4 min); permanent Slack errors (channel_not_found,
 * not_in_channel) skip them and are listed in *Failed jobs* at once with their reason.
 */
export const RETRY_CHAT: TJobOptions = { attempts: 8, backoff: { type: "capped" } };

export const JOBS = {
  "sessions.prune": { queue: "maintenance", schema: ZSessionsPrunePayload },
  "requests.expire": { queue: "maintenance", schema: ZSessionsPrunePayload },
  "lifecycle.reconcile": { queue: "maintenance", schema: ZSessionsPrunePayload },
  "replica-changes.prune": { queue: "maintenance", schema: ZSessionsPrunePayload },
  "usage-signals.prune": { queue: "maintenance", schema: ZSessionsPrunePayload },
  "audit.anchor": { queue: "maintenance", schema: ZSessionsPrunePayload },
  "grant.start": { queue: "grant-lifecycle", schema: ZGrantJobPayload },
  "grant.expire": { queue: "grant-lifecycle", schema: ZGrantJobPayload },
  "grant.warn": { queue: "grant-lifecycle", schema: ZGrantJobPayload },
  "notify.send": { queue: "notify", schema: ZNotifySendPayload },
  "chat.sync": { queue: "notify", schema: ZChatSyncPayload, options: RETRY_CHAT },
  "webhook.deliver": { queue: "webhooks", schema: ZWebhookDeliverPayload, options: RETRY_UNTIL_DELIVERED },
  "provisioning.run": { queue: "provisioning", schema: ZProvisioningPayload, options: RETRY_PROVISIONING },
  "provisioning.drift": { queue: "maintenance", schema: ZSessionsPrunePayload },
  "request.escalate": { queue: "maintenance", schema: ZRequestJobPayload },
  "requests.escalate": { queue: "maintenance", schema: ZSessionsPrunePayload },
  "reviews.sweep": { queue: "maintenance", schema: ZSessionsPrunePayload },
} as const satisfies Record<string, TJobDefinition>;

export type TJobName = keyof typeof JOBS;
export type TJobPayload<N extends TJobName> = z.output<(typeof JOBS)[N]["schema"]>;
/** The job names that run on queue Q. */
export type TJobNameOf<Q extends TQueueName> = {
  [N in TJobName]: (typeof JOBS)[N]["queue"] extends Q ? N : never;
}[TJobName];

// Own-property checks: a job name read back from Redis could be "constructor" or "__proto__".
export const isJobName = (name: string): name is TJobName => Object.hasOwn(JOBS, name);

export const queueOf = <N extends TJobName>(name: N): (typeof JOBS)[N]["queue"] => JOBS[name].queue;

export type TParseResult<N extends TJobName> = { ok: true; payload: TJobPayload<N> } | { ok: false; reason: string };

/** Validates a payload against its job's schema; never throws. */
export const parseJobPayload = <N extends TJobName>(name: N, payload: unknown): TParseResult<N> => {
  const result = JOBS[name].schema.safeParse(payload);
  return result.success
    ? { ok: true, payload: result.data as TJobPayload<N> }
    : { ok: false, reason: `invalid payload for ${name}: ${z.prettifyError(result.error)}` };
};
