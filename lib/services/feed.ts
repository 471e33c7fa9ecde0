/**
 * The speed half of the replicas' change feed. PostgreSQL triggers write every change of a
 * grant, a user's email or deactivation, or a service client to "ReplicaChange" (the source
 * of truth, polled by every replica at least once a second). After committing such a change a
 * writer calls `announceReplicaChange()`: replicas in this process catch up before it returns
 * (so the change is visible at once where it was made) and the others are poked through Redis
 * pub/sub and catch up within milliseconds. The message carries nothing but the poke: replicas
 * always read the changes themselves, in order, from PostgreSQL.
 */
import type { Redis } from "ioredis";
import { createRedis, redisKey } from "../redis";

export const replicaChannel = (): string => redisKey("replica", "changes");

type TLocalReplica = { sync: () => Promise<void> };
const globalForFeed = globalThis as unknown as { jitLocalReplicas?: Set<TLocalReplica>; jitFeedPublisher?: Redis };

/**
 * Its own connection, whose socket does not hold the event loop: a writer in a CLI or a test
 * process that pokes the replicas must still exit when its work is done.
 */
const publisher = (): Redis => {
  if (!globalForFeed.jitFeedPublisher) {
    const client = createRedis({ maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    client.on("error", () => undefined);
    client.on("connect", () => client.stream.unref());
    globalForFeed.jitFeedPublisher = client;
  }
  return globalForFeed.jitFeedPublisher;
};
const localReplicas = (): Set<TLocalReplica> => (globalForFeed.jitLocalReplicas ??= new Set());

export const registerLocalReplica = (replica: TLocalReplica): (() => void) => {
  localReplicas().add(replica);
  return () => localReplicas().delete(replica);
};

const PUBLISH_TIMEOUT_MS = 500;

/**
 * Never throws: the change is committed already, and a replica that misses the poke finds it
 * at its next poll. Call it after the transaction, never inside it.
 */
export const announceReplicaChange = async (): Promise<void> => {
  await Promise.all([...localReplicas()].map((replica) => replica.sync().catch(() => undefined)));
  await Promise.race([
    publisher()
      .publish(replicaChannel(), "1")
      .catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, PUBLISH_TIMEOUT_MS).unref()),
  ]);
};

/** For `.then(announceAfter)` on a writer's transaction: announce once it has committed. */
export const announceAfter = async <T>(result: T): Promise<T> => {
  await announceReplicaChange();
  return result;
};
