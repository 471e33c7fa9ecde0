/**
 * The transactional outbox: a change writes its jobs into `OutboxJob` in the same
 * transaction, so a committed change always gets its jobs and a rolled-back one never does.
 * The relay (in the worker process) moves rows to BullMQ with their deterministic job ids, so
 * relaying a row twice (a crash between add and mark) never doubles a job.
 */
import type { Db, Prisma } from "../db";
import { db } from "../db";
import { JOBS, parseJobPayload, type TJobName } from "./definitions";
import { enqueue } from "./producer";

/** BullMQ refuses ":" in custom ids; ids are written with ":" for readability and made safe here. */
export const bullJobId = (jobId: string): string => jobId.replaceAll(":", "_");

export const addOutboxJob = async (tx: Db, job: { name: TJobName; payload: unknown; jobId: string; runAt?: Date }): Promise<void> => {
  const parsed = parseJobPayload(job.name, job.payload);
  if (!parsed.ok) throw new Error(parsed.reason);
  await tx.outboxJob.create({
    data: { queue: JOBS[job.name].queue, name: job.name, jobId: bullJobId(job.jobId), payload: parsed.payload as Prisma.InputJsonValue, runAt: job.runAt ?? null },
  });
};

/**
 * Moves up to `limit` undispatched rows to BullMQ. Rows are claimed with SKIP LOCKED, so
 * several workers can relay at once without taking the same row.
 */
export const relayOutbox = async (options: { limit?: number; now?: Date } = {}): Promise<{ relayed: number; failed: number }> => {
  const limit = options.limit ?? 200;
  return db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<Array<{ id: bigint; name: string; jobId: string; payload: unknown; runAt: Date | null }>>`
        select id, name, "jobId", payload, "runAt" from "OutboxJob"
        where "dispatchedAt" is null order by id limit ${limit} for update skip locked`;
      const now = (options.now ?? new Date()).getTime();
      let relayed = 0;
      let failed = 0;
      for (const row of rows) {
        try {
          const delay = row.runAt ? Math.max(0, row.runAt.getTime() - now) : 0;
          await enqueue(row.name as TJobName, row.payload as never, { jobId: row.jobId, delay });
          await tx.outboxJob.update({ where: { id: row.id }, data: { dispatchedAt: new Date(), attempts: { increment: 1 } } });
          relayed += 1;
        } catch (error) {
          // Left undispatched for the next pass; the error is kept for the dead-letter view.
          await tx.outboxJob.update({ where: { id: row.id }, data: { attempts: { increment: 1 }, lastError: String((error as Error).message ?? error).slice(0, 1000) } });
          failed += 1;
        }
      }
      return { relayed, failed };
    },
    { timeout: 30_000 },
  );
};

/**
 * Polls the outbox until stopped. A short interval keeps the gap between a commit and its job
 * small; jobs meant for later (expiry) are relayed long before they are due.
 */
export const startOutboxRelay = (options: { intervalMs?: number; onError?: (error: unknown) => void } = {}): { stop: () => Promise<void> } => {
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
