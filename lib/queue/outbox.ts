/**
 * The transactional outbox: a change writes its jobs into `OutboxJob` in the same
 * transaction, so a committed change always gets its jobs and a rolled-back one never does.
 * The relay (in the worker process) moves rows to BullMQ with their deterministic job ids, so
 * relaying a row twice (a crash between add and mark) never doubles a job.
 */
import type { Db, Prisma } from "../db";
import { db } from "../db";
import { isJobName, JOBS, parseJobPayload, type TJobName } from "./definitions";
import { enqueueBulk } from "./producer";

/** BullMQ refuses ":" in custom ids; ids are written with ":" for readability and made safe here. */
export const bullJobId = (jobId: string): string => jobId.replaceAll(":", "_");

type TOutboxJobInput = { name: TJobName; payload: unknown; jobId: string; runAt?: Date | undefined };

/** Inside the caller's transaction: the jobs commit (or roll back) with the change. One insert for all. */
export const addOutboxJobs = async (tx: Db, jobs: TOutboxJobInput[]): Promise<void> => {
  if (jobs.length === 0) return;
  const data = jobs.map((job) => {
    const parsed = parseJobPayload(job.name, job.payload);
    if (!parsed.ok) throw new Error(parsed.reason);
    return {
      queue: JOBS[job.name].queue,
      name: job.name,
      jobId: bullJobId(job.jobId),
      payload: parsed.payload as Prisma.InputJsonValue,
      runAt: job.runAt ?? null,
    };
  });
  await tx.outboxJob.createMany({ data });
};

export const addOutboxJob = (tx: Db, job: TOutboxJobInput): Promise<void> => addOutboxJobs(tx, [job]);

/**
 * Moves up to `limit` undispatched rows to BullMQ. Rows are claimed with SKIP LOCKED, so
 * several workers can relay at once without taking the same row.
 */
export const relayOutbox = async (
  options: { limit?: number; now?: Date } = {},
): Promise<{ relayed: number; failed: number }> => {
  const limit = options.limit ?? 200;
  return db.$transaction(
    async (tx) => {
      let rows = await tx.$queryRaw<
        Array<{ id: bigint; name: string; jobId: string; payload: unknown; runAt: Date | null }>
      >`
        select id, name, "jobId", payload, "runAt" from "OutboxJob"
        where "dispatchedAt" is null order by id limit ${limit} for update skip locked`;
      const now = (options.now ?? new Date()).getTime();
      if (rows.length === 0) return { relayed: 0, failed: 0 };
      // A row that cannot be a job (renamed job, changed schema) must not hold up the batch.
      const invalid = rows.filter((row) => !isJobName(row.name) || !parseJobPayload(row.name, row.payload).ok);
      if (invalid.length > 0) {
        await tx.outboxJob.updateMany({
          where: { id: { in: invalid.map((row) => row.id) } },
          data: { dispatchedAt: new Date(), lastError: "not a valid job any more: dropped (see the dead-letter view)" },
        });
        rows = rows.filter((row) => !invalid.includes(row));
        if (rows.length === 0) return { relayed: 0, failed: invalid.length };
      }
      const ids = rows.map((row) => row.id);
      try {
        // One round trip per queue and one update for the batch: the relay keeps up with bursts.
        await enqueueBulk(
          rows.map((row) => ({
            name: row.name as TJobName,
            payload: row.payload,
            jobId: row.jobId,
            delay: row.runAt ? Math.max(0, row.runAt.getTime() - now) : 0,
          })),
        );
        await tx.outboxJob.updateMany({
          where: { id: { in: ids } },
          data: { dispatchedAt: new Date(), attempts: { increment: 1 } },
        });
        return { relayed: rows.length, failed: 0 };
      } catch (error) {
        // Left undispatched for the next pass (ids make a partial add harmless); the error is
        // kept for the dead-letter view.
        await tx.outboxJob.updateMany({
          where: { id: { in: ids } },
          data: { attempts: { increment: 1 }, lastError: String((error as Error).message ?? error).slice(0, 1000) },
        });
        return { relayed: 0, failed: rows.length };
      }
    },
    { timeout: 30_000 },
  );
};

/**
 * Polls the outbox until stopped. A short interval keeps the gap between a commit and its job
 * small; jobs meant for later (expiry) are relayed long before they are due.
 */
export const startOutboxRelay = (
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): { stop: () => Promise<void> } => {
  const intervalMs = options.intervalMs ?? 250;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    while (!stopped) {
      try {
        const { relayed } = await relayOutbox();
        if (relayed > 0) continue; // more may be waiting
      } catch (error) {
        options.onError?.(error);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
  running = tick();
  return {
    stop: async () => {
      stopped = true;
      await running;
    },
  };
};
