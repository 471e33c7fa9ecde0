import { Queue } from "bullmq";
import { redis } from "../redis";
import { DEFAULT_JOB_OPTIONS, queueConnection, queuePrefix } from "./connection";
import { JOBS, jobOptionsOf, parseJobPayload, type TJobName, type TJobPayload, type TQueueName } from "./definitions";

export type TEnqueueOptions = {
  /**
   * Makes the enqueue idempotent: while a job with this id exists (waiting, delayed, active,
   * or kept after finishing), adding it again is a no-op. BullMQ refuses ids containing ":"
   * and ids that are plain integers.
   */
  jobId?: string;
  /** Milliseconds to wait before the job becomes runnable. */
  delay?: number;
};

// One Queue (one Redis connection) per queue name per process, opened on first use.
const queues = new Map<TQueueName, Queue>();

const queueFor = (name: TQueueName): Queue => {
  let queue = queues.get(name);
  if (!queue) {
    queue = new Queue(name, {
      connection: queueConnection(),
      prefix: queuePrefix(),
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
    // Without a listener an "error" event (Redis gone) would be thrown and crash the process;
    // the failed add() itself still rejects to its caller.
    queue.on("error", (error) =>
      console.error(JSON.stringify({ event: "queue.error", queue: name, error: error.message })),
    );
    queues.set(name, queue);
  }
  return queue;
};

const validated = <N extends TJobName>(name: N, payload: TJobPayload<N>): TJobPayload<N> => {
  if (!Object.hasOwn(JOBS, name)) throw new Error(`unknown job name: ${String(name)}`);
  const parsed = parseJobPayload(name, payload);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.payload;
};

/** Adds a job after validating its payload with the job's schema (a bad payload throws). */
export const enqueue = async <N extends TJobName>(
  name: N,
  payload: TJobPayload<N>,
  opts: TEnqueueOptions = {},
): Promise<{ jobId: string }> => {
  const data = validated(name, payload);
  const job = await queueFor(JOBS[name].queue).add(name, data, {
    ...jobOptionsOf(name),
    ...(opts.jobId !== undefined ? { jobId: opts.jobId } : {}),
    ...(opts.delay !== undefined ? { delay: opts.delay } : {}),
  });
  return { jobId: String(job.id) };
};

/**
 * Adds many jobs in one round trip per queue (the outbox relay). Payloads are validated like
 * `enqueue`; deterministic job ids keep a re-add a no-op.
 *
 * `replaceFinished` (the reconciler): the caller knows this work is not done, so a job kept
 * under the same id after finishing is stale (a job emptied by a Redis flush while it ran
 * completes as a husk, and would otherwise block its own re-creation for a day): it is removed
 * and added again. Waiting, delayed and active jobs are left alone.
 */
export const enqueueBulk = async (
  jobs: Array<{ name: TJobName; payload: unknown; jobId: string; delay: number }>,
  options: { replaceFinished?: boolean } = {},
): Promise<{ replaced: number }> => {
  const byQueue = new Map<
    TQueueName,
    Array<{ name: string; data: unknown; opts: Record<string, unknown> & { jobId: string } }>
  >();
  for (const job of jobs) {
    const parsed = parseJobPayload(job.name, job.payload);
    if (!parsed.ok) throw new Error(parsed.reason);
    const queue = JOBS[job.name].queue;
    const list = byQueue.get(queue) ?? [];
    list.push({
      name: job.name,
      data: parsed.payload,
      opts: { ...jobOptionsOf(job.name), jobId: job.jobId, delay: job.delay },
    });
    byQueue.set(queue, list);
  }
  let replaced = 0;
  await Promise.all(
    [...byQueue].map(async ([name, list]) => {
      const queue = queueFor(name);
      if (options.replaceFinished) {
        const pipeline = redis().pipeline();
        for (const job of list) pipeline.hget(queue.toKey(job.opts.jobId), "finishedOn");
        const answers = (await pipeline.exec()) ?? [];
        const finished = list.filter((_, index) => answers[index]?.[1] !== null && answers[index]?.[1] !== undefined);
        for (const job of finished) replaced += await queue.remove(job.opts.jobId);
      }
      await queue.addBulk(list);
    }),
  );
  return { replaced };
};

export const scheduleRepeating = async <N extends TJobName>(
  name: N,
  payload: TJobPayload<N>,
  opts: { everyMs: number; schedulerId?: string },
): Promise<void> => {
  const data = validated(name, payload);
  await queueFor(JOBS[name].queue).upsertJobScheduler(
    opts.schedulerId ?? name,
    { every: opts.everyMs },
    { name, data },
  );
};

/** Closes every Queue this process opened; enqueue afterwards opens them again. Idempotent. */
export const closeQueues = async (): Promise<void> => {
  const open = [...queues.values()];
  queues.clear();
  await Promise.allSettled(open.map((queue) => queue.close()));
};
