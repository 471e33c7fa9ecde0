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

export const QUEUE_NAMES = ["maintenance", "grant-lifecycle", "notify"] as const;
export type TQueueName = (typeof QUEUE_NAMES)[number];

export const ZSessionsPrunePayload = z.strictObject({});
export const ZGrantJobPayload = z.strictObject({ grantId: z.uuid() });
export const ZNotifySendPayload = z.strictObject({ notificationId: z.uuid() });

type TJobDefinition = { queue: TQueueName; schema: z.ZodType };

export const JOBS = {
  "sessions.prune": { queue: "maintenance", schema: ZSessionsPrunePayload },
  "grant.start": { queue: "grant-lifecycle", schema: ZGrantJobPayload },
  "grant.expire": { queue: "grant-lifecycle", schema: ZGrantJobPayload },
  "grant.warn": { queue: "grant-lifecycle", schema: ZGrantJobPayload },
  "notify.send": { queue: "notify", schema: ZNotifySendPayload },
} as const satisfies Record<string, TJobDefinition>;

export type TJobName = keyof typeof JOBS;
export type TJobPayload<N extends TJobName> = z.output<(typeof JOBS)[N]["schema"]>;
/** The job names that run on queue Q. */
export type TJobNameOf<Q extends TQueueName> = { [N in TJobName]: (typeof JOBS)[N]["queue"] extends Q ? N : never }[TJobName];

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
