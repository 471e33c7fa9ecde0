/**
 * Notices that Redis lost its data (FLUSHALL, a restart without persistence, a failover to an
 * empty replica) within a second, so the worker rebuilds its schedules and re-creates every
 * pending job at once instead of at the next periodic reconcile, which the flush deleted too.
 *
 * A sentinel key is written at start; its absence means the data went. Every worker checks,
 * and each may rebuild: the rebuild is idempotent (deterministic job ids).
 */
import type { Redis } from "ioredis";
import { redis, redisKey } from "../redis";

export const FLUSH_WATCH_INTERVAL_MS = 1_000;

export const flushSentinelKey = (): string => redisKey("sentinel");

export type TFlushWatch = { stop: () => void };

export const startFlushWatch = async (options: {
  onFlush: () => Promise<void>;
  onError?: (error: unknown) => void;
  intervalMs?: number;
  client?: Redis;
}): Promise<TFlushWatch> => {
  const client = options.client ?? redis();
  const key = flushSentinelKey();
  await client.set(key, new Date().toISOString(), "NX");
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      // SET NX answers OK only when the key was missing: the check and the re-arm in one step.
      if ((await client.set(key, new Date().toISOString(), "NX")) !== "OK") return;
      try {
        await options.onFlush();
      } catch (error) {
        // Disarmed again, so the next tick retries the rebuild.
        await client.del(key).catch(() => undefined);
        throw error;
      }
    })()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = false;
      });
  }, options.intervalMs ?? FLUSH_WATCH_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};
