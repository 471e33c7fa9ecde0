import { Redis, type RedisOptions } from "ioredis";
import { getConfig } from "./config";

/**
 * Redis holds queues, counters and caches only: everything in it can be rebuilt from
 * PostgreSQL. Every key the portal writes starts with REDIS_PREFIX so that several
 * deployments (and test runs) can share one server.
 */
export const redisKey = (...parts: string[]): string => [getConfig().redisPrefix, ...parts].join(":");

/** BullMQ requires `maxRetriesPerRequest: null` on the connections it blocks on. */
export const createRedis = (options: RedisOptions = {}): Redis =>
  new Redis(getConfig().redisUrl, { maxRetriesPerRequest: null, lazyConnect: false, ...options });

const globalForRedis = globalThis as unknown as { jitRedis?: Redis };

/** A shared connection for short commands (not for BullMQ's blocking ones). */
export const redis = (): Redis => {
  if (!globalForRedis.jitRedis) {
    // Commands wait (briefly) for a connection instead of failing before the first connect.
    const client = createRedis({ maxRetriesPerRequest: 2, connectTimeout: 2_000 });
    // Without a listener ioredis reports "Unhandled error event" for every failed reconnect;
    // callers see the failure on their own commands (health answers 503).
    client.on("error", () => undefined);
    globalForRedis.jitRedis = client;
  }
  return globalForRedis.jitRedis;
};
