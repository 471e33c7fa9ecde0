/**
 * The worker process (`npm run worker`): consumes every queue that has a handler table,
 * keeps the repeating maintenance jobs scheduled, beats a heartbeat the web app shows, and
 * on SIGTERM/SIGINT finishes in-flight jobs before it exits (0; 1 if the hard timeout hit).
 */
import { auditAnchoringProblems, ConfigError, getConfig } from "../lib/config";
import type { THandlers } from "../lib/queue/runtime";

const log = (event: string, fields: Record<string, unknown> = {}): void =>
  console.log(JSON.stringify({ at: new Date().toISOString(), event, ...fields }));

try {
  const config = getConfig();
  // The maintenance queue signs the audit anchors: in production it needs the key and the sink.
  const anchoring = config.workerQueues.includes("maintenance") ? auditAnchoringProblems(config) : [];
  if (anchoring.length > 0) throw new ConfigError(anchoring);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// Imported only once the configuration is known to be good: some modules read it at import.
const { disconnectDb } = await import("../lib/db");
const { redis } = await import("../lib/redis");
const { startHeartbeat } = await import("../lib/queue/heartbeat");
const { scheduleRepeating } = await import("../lib/queue/producer");
const { startWorkers } = await import("../lib/queue/runtime");
const { maintenanceHandlers } = await import("./maintenance.worker");
const { notifyHandlers } = await import("./notify.worker");
const { webhooksHandlers } = await import("./webhooks.worker");
const { grantLifecycleHandlers } = await import("./grant-lifecycle.worker");
const { provisioningHandlers } = await import("./provisioning.worker");
const { closeConnectorTargets, startEndAccessTimer, startProvisioningSweeper } = await import("../lib/provisioning");
const { startOutboxRelay } = await import("../lib/queue/outbox");
const { reconcileLifecycle } = await import("../lib/access/lifecycle");
const { startFlushWatch } = await import("../lib/queue/flush-watch");
const { stopMetrics } = await import("../lib/metrics/registry");

const PRUNE_SESSIONS_EVERY_MS = 15 * 60_000;

const EXPIRE_REQUESTS_EVERY_MS = 60_000;
const RECONCILE_EVERY_MS = 5 * 60_000;
const PRUNE_REPLICA_CHANGES_EVERY_MS = 10 * 60_000;
/** Usage reports leave the 30-day baseline window slowly: hourly is plenty (ADR 0042). */
const PRUNE_USAGE_SIGNALS_EVERY_MS = 60 * 60_000;

// Concurrency matches the database pool (10): more only queues on connections and runs into
// transaction-start timeouts (measured by bench/expiry.ts, docs/bench-expiry.md).
// Upserted by id: idempotent. Re-run every minute, because a Redis flush deletes the
// schedules and nothing else would bring them back until a worker restarts.
const ensureSchedules = async (): Promise<void> => {
  await scheduleRepeating("sessions.prune", {}, { everyMs: PRUNE_SESSIONS_EVERY_MS });
  await scheduleRepeating("requests.expire", {}, { everyMs: EXPIRE_REQUESTS_EVERY_MS });
  // The fallback of the delayed request.escalate jobs (ADR 0055), re-derived from PostgreSQL.
  await scheduleRepeating("requests.escalate", {}, { everyMs: EXPIRE_REQUESTS_EVERY_MS });
  // Access reviews: close at the deadline, remind a day before (ADR 0058).
  await scheduleRepeating("reviews.sweep", {}, { everyMs: EXPIRE_REQUESTS_EVERY_MS });
  await scheduleRepeating("lifecycle.reconcile", {}, { everyMs: RECONCILE_EVERY_MS });
  await scheduleRepeating("replica-changes.prune", {}, { everyMs: PRUNE_REPLICA_CHANGES_EVERY_MS });
  await scheduleRepeating("usage-signals.prune", {}, { everyMs: PRUNE_USAGE_SIGNALS_EVERY_MS });
  await scheduleRepeating("audit.anchor", {}, { everyMs: getConfig().auditAnchor.everyMs });
  await scheduleRepeating("provisioning.drift", {}, { everyMs: getConfig().driftCheckMs });
};
const scheduleKeeper = setInterval(
  () => void ensureSchedules().catch((error: unknown) => log("schedules.error", { error: String(error) })),
  60_000,
);
scheduleKeeper.unref();

// WORKER_QUEUES splits the work across processes, e.g. provisioning webhooks in a process of
// their own so a burst of notices or lifecycle work never delays them (docs/bench-expiry.md).
const allHandlers: THandlers = {
  maintenance: maintenanceHandlers,
  "grant-lifecycle": grantLifecycleHandlers,
  webhooks: webhooksHandlers,
  notify: notifyHandlers,
  provisioning: provisioningHandlers,
};
const handlers: THandlers = Object.fromEntries(getConfig().workerQueues.map((queue) => [queue, allHandlers[queue]]));
// Webhook deliveries hold no transaction (two short queries around a POST), so many can wait on
// receivers at once; the others hold a connection for a whole transaction, so they match the pool.
const runtime = startWorkers({
  handlers,
  // Provisioning steps talk to targets over their own small pools and write two short
  // transactions: a burst of expiries (bench:revoke) needs many at once.
  concurrency: { maintenance: 2, "grant-lifecycle": 10, notify: 10, webhooks: 50, provisioning: 20 },
});
// Moves committed jobs from the outbox table to BullMQ.
const relay = startOutboxRelay({
  onError: (error) => log("outbox.relay_error", { error: String((error as Error).message ?? error) }),
});
// Closes ended grants still provisioned, from PostgreSQL alone: runs with Redis down too, so it
// is a loop of its own here, not a queued job (lib/provisioning/sweep-ended-grants.ts).
const sweeper = getConfig().workerQueues.includes("provisioning")
  ? startProvisioningSweeper({
      intervalMs: getConfig().provisioningSweepMs,
      onSwept: (result) => log("provisioning.swept", result),
      onError: (error) => log("provisioning.sweep_error", { error: String((error as Error).message ?? error) }),
    })
  : undefined;
// Ends access at each grant's end instant, read from PostgreSQL, beside the jobs that clean up
// (ADR 0060): a burst of ends or a Redis flush no longer delays the end itself.
const endTimer = getConfig().workerQueues.includes("provisioning")
  ? startEndAccessTimer({
      onEnded: (result) =>
        log("provisioning.access_ended", {
          ended: result.ended,
          sessionsTerminated: result.sessionsTerminated,
          failed: result.failed,
          maxLagMs: Math.max(0, ...result.lagMs),
        }),
      onError: (error) => log("provisioning.end_timer_error", { error: String((error as Error).message ?? error) }),
    })
  : undefined;
let heartbeat: Awaited<ReturnType<typeof startHeartbeat>> | undefined;
let flushWatch: Awaited<ReturnType<typeof startFlushWatch>> | undefined;
let stopping = false;

const stop = async (signal: NodeJS.Signals): Promise<void> => {
  if (stopping) {
    // Expected: Ctrl-C reaches the whole process group and tsx relays it once more. The
    // shutdown already running is bounded by its hard timeout.
    log("worker.signal_ignored", { signal, reason: "already shutting down" });
    return;
  }
  stopping = true;
  clearInterval(scheduleKeeper);
  flushWatch?.stop();
  await heartbeat?.stop();
  await relay.stop();
  await sweeper?.stop();
  await endTimer?.stop();
  const { timedOut } = await runtime.shutdown(signal);
  await closeConnectorTargets().catch(() => undefined);
  await stopMetrics().catch(() => undefined);
  // Connections last: the jobs that just finished may have used them. The entry point owns
  // them; the handlers only borrow.
  await Promise.race([
    Promise.allSettled([redis().quit(), disconnectDb()]),
    new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
  ]);
  log("worker.exit", { code: timedOut ? 1 : 0 });
  process.exit(timedOut ? 1 : 0);
};
process.on("SIGTERM", (signal) => void stop(signal));
process.on("SIGINT", (signal) => void stop(signal));

// Upserted under a fixed id, so restarts and several replicas keep exactly one schedule.
try {
  await ensureSchedules();
  // At start too: Redis may have lost jobs while no worker ran.
  const reconciled = await reconcileLifecycle({});
  log("lifecycle.reconciled", reconciled);
  // And within a second of Redis losing its data, not at the next periodic run (which the
  // flush deleted with everything else).
  flushWatch = await startFlushWatch({
    onFlush: async () => {
      log("redis.flush_detected");
      await ensureSchedules();
      log("lifecycle.reconciled", { ...(await reconcileLifecycle({})), after: "flush" });
    },
    onError: (error) => log("redis.flush_recovery_error", { error: String((error as Error).message ?? error) }),
  });
} catch (error) {
  // A shutdown that closed the queue mid-call is not a startup failure.
  if (!stopping) throw error;
}

if (!stopping) {
  heartbeat = await startHeartbeat({ queues: runtime.queues });
  // A signal that arrived while the first beat was being written must not leave the key.
  if (stopping) await heartbeat.stop();
  else
    log("worker.up", {
      msg: `worker up: queues=${runtime.queues.join(",")}`,
      workerId: heartbeat.workerId,
      pid: process.pid,
    });
}
