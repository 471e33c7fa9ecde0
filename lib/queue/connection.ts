import type { ConnectionOptions, DefaultJobOptions } from "bullmq";
import { getConfig } from "../config";

/**
 * Connection options for BullMQ's own connections (each Queue and Worker opens and closes
 * its own). Options rather than a shared ioredis instance: a Worker needs a dedicated
 * blocking connection anyway, and BullMQ then owns, and on close() quits, every socket.
 *
 * `maxRetriesPerRequest: null` because BullMQ's blocking commands must wait out a Redis
 * restart instead of failing after a few retries.
 */
export const queueConnection = (): ConnectionOptions => ({ url: getConfig().redisUrl, maxRetriesPerRequest: null });

/**
 * BullMQ cannot use an ioredis `keyPrefix` (its Lua scripts build keys themselves), so it
 * gets REDIS_PREFIX as its own `prefix`: queues of two deployments or test runs never mix.
 */
export const queuePrefix = (): string => getConfig().redisPrefix;

/**
 * Every job is retried: a worker's side effect (deprovisioning, a notice) may meet a
 * database or network blip. Exponential backoff 2 s, 4 s, 8 s, 16 s. Finished jobs are kept
 * for a while so a deterministic jobId still de-duplicates a repeated enqueue, and failed
 * ones long enough for someone to look at them.
 */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};
