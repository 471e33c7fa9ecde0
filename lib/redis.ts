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

type TSocket = { ref?: () => void; unref?: () => void };

/**
 * A connection of its own that holds its process open only while a command is on its way;
 * idle, its socket is unref'd. For work any process may do in passing (recording a metric,
 * counting a sign-in attempt): a CLI or a test must not hang at its end on an idle socket.
 */
export const createIdleSafeRedis = (
  options: RedisOptions = {},
): { use: <T>(work: (client: Redis) => Promise<T>) => Promise<T>; disconnect: () => void } => {
  let connection: Redis | undefined;
  let inFlight = 0;
  const socketOf = (): TSocket | undefined => (connection as unknown as { stream?: TSocket } | undefined)?.stream;
  const client = (): Redis => {
    if (!connection) {
      connection = createRedis(options);
      connection.on("error", () => undefined);
      connection.on("connect", () => (inFlight > 0 ? socketOf()?.ref?.() : socketOf()?.unref?.()));
    }
    return connection;
  };
  return {
    use: async (work) => {
      const redisClient = client();
      inFlight += 1;
      socketOf()?.ref?.();
      try {
        return await work(redisClient);
      } finally {
        inFlight -= 1;
        if (inFlight === 0) socketOf()?.unref?.();
      }
    },
    disconnect: () => {
      connection?.disconnect();
      connection = undefined;
    },
  };
};

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
