import { db } from "../db";

/**
 * How long change-feed rows are kept. A replica that has not caught up for half of this
 * rebuilds from the tables instead of reading the feed (replica.ts, REBUILD_AFTER_MS), so a
 * pruned row is never one a live replica still needed.
 */
export const REPLICA_CHANGE_KEEP_MS = 60 * 60_000;

/**
 * Deletes change-feed rows older than an hour, always keeping the newest: the feed's head
 * `max(seq)` is how replicas tell a restored database (the sequence went backwards) from a
 * quiet one, so it must never vanish. Housekeeping, on the maintenance queue.
 */
export const pruneReplicaChanges = async (options: { now?: Date } = {}): Promise<{ deleted: number }> => {
  const cutoff = new Date((options.now ?? new Date()).getTime() - REPLICA_CHANGE_KEEP_MS);
  const deleted = await db.$executeRaw`
    delete from "ReplicaChange"
    where "createdAt" < ${cutoff}::timestamp(3)
      and seq < (select max(seq) from "ReplicaChange")`;
  return { deleted };
};
