import { UnrecoverableError, Worker, type Job } from "bullmq";
import { queueConnection, queuePrefix } from "./connection";
import {
  JOBS,
  QUEUE_NAMES,
  isJobName,
  parseJobPayload,
  type TJobName,
  type TJobNameOf,
  type TJobPayload,
  type TQueueName,
} from "./definitions";
import { closeQueues } from "./producer";

export type TJobContext = {
  job: Job;
  /** Aborted when shutdown hits its hard timeout; long handlers should stop on it. */
  signal: AbortSignal | undefined;
};
export type TJobHandler<N extends TJobName> = (payload: TJobPayload<N>, context: TJobContext) => Promise<unknown>;
/** A queue's handler table must handle every job of that queue, so none is silently dropped. */
export type TQueueHandlers<Q extends TQueueName> = { [N in TJobNameOf<Q>]: TJobHandler<N> };
export type THandlers = { [Q in TQueueName]?: TQueueHandlers<Q> };

export type TShutdownResult = { timedOut: boolean };
export type TWorkerRuntime = {
  /** The queues this process consumes. */
  queues: TQueueName[];
  /** Closes workers (in-flight jobs finish), then queues, then connections. Safe to call twice. */
  shutdown: (reason: string) => Promise<TShutdownResult>;
};

export type TStartWorkersOptions = {
  handlers: THandlers;
  /** Jobs one worker runs at once, per queue: one number for all, or per queue name. */
  concurrency?: number | Partial<Record<TQueueName, number>>;
  /** How long shutdown waits for in-flight jobs before abandoning them. */
  shutdownTimeoutMs?: number;
};

const DEFAULT_CONCURRENCY = 4;
const LOCK_DURATION_MS = 10_000;
const STALLED_INTERVAL_MS = 5_000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
// After the hard timeout: how long aborted jobs get to be recorded as failed (so they are
// retried at once by another worker instead of waiting for their lock to go stale).
const ABORT_GRACE_MS = 1_000;

const log = (event: string, fields: Record<string, unknown> = {}): void =>
  console.log(JSON.stringify({ at: new Date().toISOString(), event, ...fields }));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// The handler table is typed per job name at its definition; here, dispatching on a name
// read from Redis, it is looked up by string.
type TAnyHandler = (payload: unknown, context: TJobContext) => Promise<unknown>;

/** Settles with the handler, or rejects as soon as the signal aborts, whichever is first. */
const untilAborted = <T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(`aborted: ${String(signal.reason ?? "shutdown")}`));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
};

const processorFor =
  (queue: TQueueName, table: Record<string, TAnyHandler>) =>
  // Three declared parameters: BullMQ passes the abort signal only to processors whose
  // `length` is 3 or more.
  async (job: Job, _token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> => {
    const name = job.name;
    const handler =
      isJobName(name) && JOBS[name].queue === queue && Object.hasOwn(table, name) ? table[name] : undefined;
    if (!handler) {
      // Retrying cannot make an unknown name known: complete the job with a note.
      log("job.dropped", { queue, job: name, jobId: job.id, reason: "unknown job name" });
      return { dropped: true, reason: `unknown job name "${name}" on queue "${queue}"` };
    }
    const parsed = parseJobPayload(name as TJobName, job.data);
    if (!parsed.ok) {
      // Nor can a retry fix a malformed payload: fail at once, kept in the failed set.
      log("job.rejected", { queue, job: name, jobId: job.id, reason: parsed.reason });
      throw new UnrecoverableError(parsed.reason);
    }
    return untilAborted(handler(parsed.payload, { job, signal }), signal);
  };

/**
 * Starts one BullMQ Worker per queue that has handlers. Workers connect in the background
 * (and keep retrying while Redis is away); jobs start flowing once they are connected.
 */
/** Delay before retry number `attemptsMade` for jobs with backoff type "capped". */
export const cappedBackoffMs = (attemptsMade: number): number =>
  Math.min(1_000 * 2 ** Math.max(0, attemptsMade - 1), 3_600_000);

export const startWorkers = (options: TStartWorkersOptions): TWorkerRuntime => {
  const concurrencyOf = (queue: TQueueName): number =>
    typeof options.concurrency === "number"
      ? options.concurrency
      : (options.concurrency?.[queue] ?? DEFAULT_CONCURRENCY);
  const timeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const queues = QUEUE_NAMES.filter((queue) => options.handlers[queue] !== undefined);

  const workers = queues.map((queue) => {
    const table = options.handlers[queue] as Record<string, TAnyHandler>;
    const worker = new Worker(queue, processorFor(queue, table), {
      connection: queueConnection(),
      prefix: queuePrefix(),
      concurrency: concurrencyOf(queue),
      // A worker renews its jobs' locks every lockDuration / 2; a killed worker's jobs are handed
      // to another after at most lockDuration + stalledInterval (15 s, not BullMQ's 60 s).
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      // Backoff type "capped": 1 s doubling per attempt, never more than an hour apart.
      settings: { backoffStrategy: (attemptsMade: number) => cappedBackoffMs(attemptsMade) },
    });
    // An "error" event without a listener would throw and take the process down.
    worker.on("error", (error) =>
      console.error(JSON.stringify({ event: "worker.error", queue, error: error.message })),
    );
    worker.on("failed", (job, error) => {
      log("job.failed", {
        queue,
        job: job?.name,
        jobId: job?.id,
        attemptsMade: job?.attemptsMade,
        error: error.message,
      });
    });
    return worker;
  });

  const close = async (reason: string): Promise<TShutdownResult> => {
    log("worker.shutdown", { reason, queues, timeoutMs });
    const graceful = (async () => {
      // Worker.close() stops fetching and waits for in-flight jobs; only then the queues.
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await closeQueues();
    })();

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([graceful.then(() => "closed" as const), deadline]);
    clearTimeout(timer);
    if (outcome === "closed") {
      log("worker.shutdown.done", { reason, timedOut: false });
      return { timedOut: false };
    }

    // Worker.close() has no timeout of its own. Abort what is still running: our processor
    // stops waiting for the handler, BullMQ records the attempt as failed (so it is retried
    // with backoff), and close() can go on to quit its connections.
    log("worker.shutdown.timeout", { reason, timeoutMs });
    for (const worker of workers) worker.cancelAllJobs(`shutdown timed out after ${timeoutMs} ms`);
    const settled = await Promise.race([graceful.then(() => true), sleep(ABORT_GRACE_MS).then(() => false)]);
    if (!settled) {
      // Still stuck (Redis unreachable, say): cut the sockets. A job left active is picked
      // up again by another worker's stalled-job check once its lock expires.
      await Promise.allSettled([...workers.map((worker) => worker.disconnect()), closeQueues()]);
    }
    log("worker.shutdown.done", { reason, timedOut: true });
    return { timedOut: true };
  };

  let closing: Promise<TShutdownResult> | undefined;
  return {
    queues: [...queues],
    shutdown: (reason) => {
      closing ??= close(reason);
      return closing;
    },
  };
};
