/**
 * The dead-letter view: background jobs that gave up. In BullMQ a job reaches the "failed"
 * state only when it has used every attempt (with the exponential or capped backoff of
 * lib/queue/connection.ts and runtime.ts) or was thrown out as unrecoverable (a payload its
 * schema rejects); a job that will still be retried waits in "delayed" and is not listed.
 * Outbox rows that could not be handed to BullMQ at all are listed beside them.
 *
 * Administrators only ("jobs.manage"): payloads name users, grants and deliveries.
 */
import { ErrorCode, Queue, type Job } from "bullmq";
import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { withTimeout } from "../timeout";
import { queueConnection, queuePrefix } from "./connection";
import { QUEUE_NAMES, type TQueueName } from "./definitions";

export type TFailedJob = {
  queue: TQueueName;
  name: string;
  id: string;
  /** The payload as stored in Redis: not validated, it may be what made the job fail. */
  data: unknown;
  attemptsMade: number;
  /** The last error. */
  failedReason: string;
  /** First line of the last stack trace, if BullMQ kept one. */
  stackFirstLine: string | null;
  createdAt: Date;
  failedAt: Date | null;
};

export type TOutboxBacklogRow = {
  id: string;
  queue: string;
  name: string;
  jobId: string;
  payload: unknown;
  attempts: number;
  lastError: string;
  createdAt: Date;
  runAt: Date | null;
};

export type TFailedJobList = {
  jobs: TFailedJob[];
  /** Failed jobs per queue in Redis; more than `jobs.length` when the list was cut at `limit`. */
  totals: Record<TQueueName, number>;
  outbox: TOutboxBacklogRow[];
};

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;
// Redis reads that do not answer in this time are reported as UNAVAILABLE rather than
// leaving an admin page hanging (BullMQ's connections wait out a Redis restart forever).
const REDIS_TIMEOUT_MS = 5_000;

// One Queue (one Redis connection) per queue name, opened on first use. Separate from the
// producer's: those are private to it, and this module must not change them.
const queues = new Map<TQueueName, Queue>();

const queueFor = (name: TQueueName): Queue => {
  let queue = queues.get(name);
  if (!queue) {
    queue = new Queue(name, { connection: queueConnection(), prefix: queuePrefix() });
    // Without a listener an "error" event (Redis gone) would be thrown and crash the process.
    queue.on("error", (error) =>
      console.error(JSON.stringify({ event: "queue.error", queue: name, error: error.message })),
    );
    queues.set(name, queue);
  }
  return queue;
};

/** Closes the Queues this module opened; later calls open them again. Idempotent. */
export const closeDeadLetterQueues = async (): Promise<void> => {
  const open = [...queues.values()];
  queues.clear();
  await Promise.allSettled(open.map((queue) => queue.close()));
};

/** Only reads go through this: a read that loses the race has no effect when it lands later. */
const withQueueTimeout = <T>(work: Promise<T>): Promise<T> =>
  withTimeout(
    work,
    REDIS_TIMEOUT_MS,
    () => new AppError("UNAVAILABLE", "The job queue is not answering. Try again shortly."),
  );

const toFailedJob = (queue: TQueueName, job: Job): TFailedJob => ({
  queue,
  name: job.name,
  id: String(job.id),
  data: job.data as unknown,
  attemptsMade: job.attemptsMade,
  failedReason: job.failedReason ?? "",
  stackFirstLine: job.stacktrace?.at(-1)?.split("\n")[0] ?? null,
  createdAt: new Date(job.timestamp),
  failedAt: job.finishedOn ? new Date(job.finishedOn) : null,
});

const ZListFailedJobs = z.strictObject({ limit: z.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT) });

/** Failed jobs of every queue, newest failure first, and the outbox rows that could not be relayed. */
export const listFailedJobs = async (options: {
  actor: TUserActor;
  limit?: number;
  context?: TAuditContext;
}): Promise<TFailedJobList> => {
  await assertCan(options.actor, "jobs.manage", undefined, options.context);
  const parsed = ZListFailedJobs.safeParse({ limit: options.limit });
  if (!parsed.success) throw new AppError("INVALID_INPUT", `limit must be a whole number from 1 to ${MAX_LIMIT}.`);
  const { limit } = parsed.data;

  const perQueue = await withQueueTimeout(
    Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const queue = queueFor(name);
        // BullMQ's failed set is ordered by failure time; getFailed reads it newest first.
        const [jobs, total] = await Promise.all([queue.getFailed(0, limit - 1), queue.getFailedCount()]);
        // A job removed between the two reads comes back as undefined.
        return {
          name,
          total,
          jobs: jobs.filter((job): job is Job => Boolean(job)).map((job) => toFailedJob(name, job)),
        };
      }),
    ),
  );
  const jobs = perQueue
    .flatMap((entry) => entry.jobs)
    .sort((a, b) => (b.failedAt?.getTime() ?? b.createdAt.getTime()) - (a.failedAt?.getTime() ?? a.createdAt.getTime()))
    .slice(0, limit);
  const totals = Object.fromEntries(perQueue.map((entry) => [entry.name, entry.total])) as Record<TQueueName, number>;

  const rows = await db.outboxJob.findMany({
    where: { dispatchedAt: null, lastError: { not: null } },
    orderBy: { id: "desc" },
    take: limit,
  });
  const outbox = rows.map((row) => ({
    id: String(row.id),
    queue: row.queue,
    name: row.name,
    jobId: row.jobId,
    payload: row.payload,
    attempts: row.attempts,
    lastError: row.lastError ?? "",
    createdAt: row.createdAt,
    runAt: row.runAt,
  }));
  return { jobs, totals, outbox };
};

const ZJobRef = z.strictObject({
  queue: z.enum(QUEUE_NAMES),
  // BullMQ ids: generated integers or our own ids (lib/queue/outbox.ts), never ":".
  jobId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^:]+$/),
});
export type TJobRef = z.infer<typeof ZJobRef>;

const parseJobRef = (input: { queue: string; jobId: string }): TJobRef => {
  const parsed = ZJobRef.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join("."), issue.message]));
  throw new AppError(
    "INVALID_INPUT",
    fields.queue ? `Unknown queue; expected one of ${QUEUE_NAMES.join(", ")}.` : "Invalid job id.",
    fields,
  );
};

const findFailedJob = async (ref: TJobRef): Promise<Job> => {
  const queue = queueFor(ref.queue);
  const job = await withQueueTimeout(
    (async () => {
      const found = await queue.getJob(ref.jobId);
      return found && (await found.getState()) === "failed" ? found : undefined;
    })(),
  );
  if (!job) throw new AppError("NOT_FOUND", "No failed job with that id on that queue.");
  return job;
};

// BullMQ refuses a job that left the failed state after we looked (retried or removed by
// someone else, expired by its retention, or picked up by a worker and so locked): the same
// answer as if we had not seen it.
const GONE_CODES: readonly number[] = [ErrorCode.JobNotExist, ErrorCode.JobNotInState];
const notInFailedState = (error: unknown): never => {
  if (error instanceof AppError) throw error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : "";
  if ((typeof code === "number" && GONE_CODES.includes(code)) || message.includes("locked by another worker")) {
    throw new AppError("NOT_FOUND", "No failed job with that id on that queue.");
  }
  throw error;
};

type TJobAction = { actor: TUserActor; queue: string; jobId: string; context?: TAuditContext };

/**
 * The audit event and the Redis change go together: the event is written in a transaction
 * that commits only after BullMQ has made the change, so a refused or failed change leaves
 * no event, and a made change always has one (short of PostgreSQL dying in between).
 */
const changeFailedJob = async (
  options: TJobAction,
  action: "job.retry" | "job.discard",
  change: (job: Job) => Promise<unknown>,
): Promise<void> => {
  const { actor, context = {} } = options;
  await assertCan(actor, "jobs.manage", undefined, context);
  const ref = parseJobRef({ queue: options.queue, jobId: options.jobId });
  const job = await findFailedJob(ref);
  await db.$transaction(async (tx) => {
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action,
      targetType: "job",
      targetId: `${ref.queue}/${ref.jobId}`,
      outcome: "ALLOWED",
      details: {
        queue: ref.queue,
        jobId: ref.jobId,
        jobName: job.name,
        attemptsMade: job.attemptsMade,
        failedReason: (job.failedReason ?? "").slice(0, 1000),
      },
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      requestId: context.requestId ?? null,
    });
    await change(job).catch(notInFailedState);
  });
};

/**
 * Puts a failed job back in the wait list for one more attempt. Its attempt count is kept:
 * if that attempt fails too it comes straight back here instead of starting another round
 * of backoff (for a webhook, three more weeks).
 */
export const retryFailedJob = (options: TJobAction): Promise<void> =>
  changeFailedJob(options, "job.retry", (job) => job.retry("failed"));

/** Deletes a failed job for good. */
export const discardFailedJob = (options: TJobAction): Promise<void> =>
  changeFailedJob(options, "job.discard", async (job) => {
    // remove() does not look at the state; look again right before it, so a job retried
    // meanwhile (now waiting or running) is not thrown away.
    if ((await job.getState()) !== "failed")
      throw new AppError("NOT_FOUND", "No failed job with that id on that queue.");
    await job.remove();
  });
