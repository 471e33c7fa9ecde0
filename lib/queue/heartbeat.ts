import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { z } from "zod";
import { redis, redisKey } from "../redis";
import { withTimeout } from "../timeout";

/**
 * Each worker process writes a short-lived key every few seconds; the web app lists the
 * keys to show whether side effects (deprovisioning, notices) are being carried out. A
 * crashed worker simply stops writing and its key expires: no cleanup needed.
 * (Grant validity never depends on this: see docs/design.md, invariant 2.)
 */

export const HEARTBEAT_INTERVAL_MS = 5_000;
export const HEARTBEAT_TTL_MS = 15_000;
const STATUS_TIMEOUT_MS = 1_000;

export const ZWorkerHeartbeat = z.object({
  workerId: z.string(),
  pid: z.number().int(),
  hostname: z.string(),
  startedAt: z.iso.datetime(),
  beatAt: z.iso.datetime(),
  queues: z.array(z.string()),
});
export type TWorkerHeartbeat = z.infer<typeof ZWorkerHeartbeat>;

export type TWorkerStatus = { up: boolean; workers: TWorkerHeartbeat[]; error?: string };

export type THeartbeat = {
  workerId: string;
  key: string;
  /** Stops beating and deletes the key, so the worker disappears from the status at once. */
  stop: () => Promise<void>;
};

// No ":" in the id: it is the last segment of the key.
export const newWorkerId = (): string => `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;

export const heartbeatKey = (workerId: string): string => redisKey("worker", "heartbeat", workerId);

/**
 * The shared client does not queue commands while disconnected (it fails them at once), which
 * includes the moment right after it is created: wait briefly for it to connect first.
 */
const whenReady = (client: Redis, ms: number): Promise<void> => {
  if (client.status === "ready") return Promise.resolve();
  if (client.status === "end") return Promise.reject(new Error("redis connection closed"));
  if (client.status === "wait") client.connect().catch(() => undefined);
  return new Promise<void>((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      reject(new Error("redis unreachable"));
    }, ms);
    timer.unref();
    client.once("ready", onReady);
  });
};

export const startHeartbeat = async (options: {
  queues: readonly string[];
  workerId?: string;
  intervalMs?: number;
  ttlMs?: number;
  client?: Redis;
}): Promise<THeartbeat> => {
  const client = options.client ?? redis();
  const workerId = options.workerId ?? newWorkerId();
  const key = heartbeatKey(workerId);
  const intervalMs = options.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  const ttlMs = options.ttlMs ?? HEARTBEAT_TTL_MS;
  const startedAt = new Date().toISOString();
  let failing = false;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  const beat = async (): Promise<void> => {
    const value: TWorkerHeartbeat = {
      workerId,
      pid: process.pid,
      hostname: hostname(),
      startedAt,
      beatAt: new Date().toISOString(),
      queues: [...options.queues],
    };
    try {
      await whenReady(client, intervalMs);
      await client.set(key, JSON.stringify(value), "PX", ttlMs);
      if (failing) console.log(JSON.stringify({ at: value.beatAt, event: "heartbeat.recovered", workerId }));
      failing = false;
    } catch (error) {
      // A missed beat is not fatal: the worker keeps working and beats again next time.
      if (!failing)
        console.error(JSON.stringify({ at: value.beatAt, event: "heartbeat.failed", workerId, error: String(error) }));
      failing = true;
    }
  };

  const tick = () => {
    if (stopped) return;
    inFlight = beat();
  };
  await beat();
  const timer = setInterval(tick, intervalMs);
  // The workers keep the process alive; the heartbeat must never be the reason it stays up.
  timer.unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      clearInterval(timer);
      // A beat landing after the delete would resurrect the key for ttlMs.
      await inFlight;
      await withTimeout(client.del(key), STATUS_TIMEOUT_MS, "redis unreachable").catch((error: unknown) => {
        console.error(JSON.stringify({ event: "heartbeat.delete_failed", workerId, error: String(error) }));
      });
    })();
    return stopping;
  };
  return { workerId, key, stop };
};

/** Every live worker's heartbeat, newest first. Throws if Redis cannot be reached. */
export const readWorkerHeartbeats = async (options: { client?: Redis } = {}): Promise<TWorkerHeartbeat[]> => {
  const client = options.client ?? redis();
  await whenReady(client, STATUS_TIMEOUT_MS);
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", heartbeatKey("*"), "COUNT", 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  if (keys.length === 0) return [];

  const values = await client.mget(...new Set(keys));
  const heartbeats = values.flatMap((raw) => {
    if (raw === null) return []; // expired between SCAN and MGET
    try {
      const parsed = ZWorkerHeartbeat.safeParse(JSON.parse(raw));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
  return heartbeats.sort((a, b) => b.beatAt.localeCompare(a.beatAt));
};

/**
 * For the web app's status display. Never throws: with Redis down it answers within about a
 * second that no worker is known to be up.
 */
export const workerStatus = async (options: { client?: Redis } = {}): Promise<TWorkerStatus> => {
  try {
    const workers = await withTimeout(readWorkerHeartbeats(options), STATUS_TIMEOUT_MS, "redis unreachable");
    return { up: workers.length > 0, workers };
  } catch {
    return { up: false, workers: [], error: "redis unreachable" };
  }
};
