/**
 * `npm run bench:expiry`: how late do `grant.expired` webhooks arrive when many grants expire
 * at once, and are any lost or doubled?
 *
 *   npm run bench:expiry                    1,000 grants expiring within 10 s, workers running
 *   npm run bench:expiry -- --flush-redis   halfway through the window delete every key under
 *                                           the bench's Redis prefix (FLUSHALL for this app) and
 *                                           do nothing else: the workers notice and rebuild
 *   npm run bench:expiry -- --kill-worker   halfway through, SIGKILL every worker; restart them 2 s later
 *
 * Options: --grants=N (1000), --window-ms=N (10000), --lead-ms=N (60000: from now to the first
 * expiry), --topology=split|single (split: webhooks in a worker process of their own, the rest
 * in another; single: one process), --recover=none|reconcile|restart|both (flush mode; none, the
 * default, leaves recovery to the workers' flush watch; reconcile also calls
 * reconcileLifecycle() from this process, restart also restarts the workers), --keep (keep the
 * database and Redis keys), --json=FILE, --worker-pool-max=N (diagnostic: the worker's pg pool
 * size, pg's default is 10), --cpu-profile (diagnostic: V8 CPU profiles of the workers).
 *
 * Like the test harness (lib/cli/test.ts) it makes a database `jit_bench_<id>` and a Redis
 * prefix `jit-bench-<id>` of its own, migrates it, and removes both at the end. The worker is
 * the real one (`node --import tsx workers/index.ts`) as a child process; its output goes to
 * bench/results/. Exit code 1 when a delivery is missing or doubled.
 */
import { countDuplicates } from "./verdicts";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { dropDatabase, ensureDatabase } from "../lib/db/ensure-database";
import {
  deleteRedisPrefix,
  formatStats,
  removeBenchData,
  sleep,
  spawnWorker,
  startReceiver,
  startSmtpSink,
  stats,
  stopWorker,
  type TStats,
  type TWorkerProcess,
} from "./support";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESULTS = path.join(ROOT, "bench", "results");
const TARGET_P99_MS = 250;

// ---- options -------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string, fallback: string): string =>
  argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const GRANTS = Number(option("grants", "1000"));
const WINDOW_MS = Number(option("window-ms", "10000"));
// Long enough that creating the grants (and their 1,000 activations and start e-mails) is over
// before the window: the bench measures an expiry burst, not a creation burst overlapping it.
const LEAD_MS = Number(option("lead-ms", "60000"));
const MODE: "default" | "flush-redis" | "kill-worker" = flag("flush-redis")
  ? "flush-redis"
  : flag("kill-worker")
    ? "kill-worker"
    : "default";
const RECOVER = option("recover", "none") as "both" | "reconcile" | "restart" | "none";
const KEEP = flag("keep");
/** Diagnostic: the worker's pg pool size (default: pg's 10), through bench/pg-pool-max.ts. */
const WORKER_POOL_MAX = Number(option("worker-pool-max", "0"));
/**
 * split (default): provisioning webhooks in a worker process of their own (WORKER_QUEUES=webhooks)
 * and everything else in another, as docs/bench-expiry.md recommends; single: one process.
 */
/** Diagnostic: write a V8 CPU profile of each worker process to bench/results/profiles/. */
const CPU_PROFILE = flag("cpu-profile");
const TOPOLOGY = option("topology", "split") as "split" | "single";
const PROCESSES: Array<{ name: string; queues?: string }> =
  TOPOLOGY === "split"
    ? [
        { name: "webhooks", queues: "webhooks" },
        { name: "main", queues: "maintenance,grant-lifecycle,notify" },
      ]
    : [{ name: "all" }];
const SUBJECTS = 5;
const CREATE_CONCURRENCY = 8;
if (
  !(GRANTS > 0) ||
  !(WINDOW_MS > 0) ||
  !(LEAD_MS > 0) ||
  !["both", "reconcile", "restart", "none"].includes(RECOVER) ||
  !["split", "single"].includes(TOPOLOGY)
) {
  console.error(
    "usage: npm run bench:expiry -- [--flush-redis | --kill-worker] [--grants=N] [--window-ms=N] [--lead-ms=N] [--recover=none|reconcile|restart|both] [--topology=split|single] [--keep] [--json=FILE]",
  );
  process.exit(2);
}

// ---- the isolated environment, set before any app module reads its configuration -----------
const runId = `${process.pid}_${randomBytes(4).toString("hex")}`;
const base = new URL(
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
);
base.pathname = `/jit_bench_${runId}`;
const DATABASE_URL = base.toString();
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_PREFIX = `jit-bench-${runId}`;
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
mkdirSync(RESULTS, { recursive: true });
const WORKER_LOG = path.join(RESULTS, `expiry-${MODE}-${stamp}-worker.log`);
const JSON_OUT = option("json", path.join(RESULTS, `expiry-${MODE}-${stamp}.json`));

/** The development defaults, whatever the shell exports (as the test harness does). */
const BLANK = [
  "APP_URL",
  "AUTH_SECRET",
  "OIDC_ISSUER",
  "OIDC_CLIENT_ID",
  "OIDC_CLIENT_SECRET",
  "OIDC_SCOPES",
  "OIDC_GROUPS_CLAIM",
  "ADMIN_GROUPS",
  "SECURITY_GROUPS",
  "WEBAUTHN_RP_ID",
  "SESSION_IDLE_MINUTES",
  "SESSION_MAX_HOURS",
  "GRANT_WARNING_MINUTES",
  "CHAT_WEBHOOK_URL",
  "SMTP_URL",
];
for (const name of BLANK) delete process.env[name];
Object.assign(process.env, {
  NODE_ENV: "development",
  DATABASE_URL,
  REDIS_URL,
  REDIS_PREFIX,
  NEXT_TELEMETRY_DISABLED: "1",
});

const t0 = Date.now();
const loadStart = os.loadavg();
const say = (message: string): void =>
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);

const run = (command: string, args: string[]): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: process.env });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const main = async (): Promise<number> => {
  say(
    `mode=${MODE} topology=${TOPOLOGY}${MODE === "flush-redis" ? ` recover=${RECOVER}` : ""}${WORKER_POOL_MAX > 0 ? ` worker-pool-max=${WORKER_POOL_MAX}` : ""} grants=${GRANTS} window=${WINDOW_MS} ms lead=${LEAD_MS} ms; ${os.cpus().length} CPUs, node ${process.version}`,
  );
  say(`database ${DATABASE_URL}, redis prefix ${REDIS_PREFIX}`);
  await ensureDatabase(DATABASE_URL);
  if ((await run("npx", ["prisma", "migrate", "deploy"])) !== 0) {
    if (!KEEP) await dropDatabase(DATABASE_URL).catch(() => undefined);
    throw new Error("prisma migrate deploy failed on the bench database");
  }
  say("migrated");

  // App modules only now: they read the configuration set above.
  const { db, disconnectDb } = await import("../lib/db");
  const { createActor, createUser } = await import("../lib/testing/fixtures");
  const { createEndpoint, verifyWebhook } = await import("../lib/webhooks");
  const { scheduleGrantLifecycle, reconcileLifecycle } = await import("../lib/access/lifecycle");
  const { closeQueues } = await import("../lib/queue/producer");
  const { Queue } = await import("bullmq");

  const redisClient = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const smtp = await startSmtpSink();
  let secret = "";
  const receiver = await startReceiver((headers, body) => {
    const result = verifyWebhook({ secret, headers: headers as Record<string, string | string[] | undefined>, body });
    return result.ok ? { ok: true, id: result.id } : result;
  });
  const workerEnv: NodeJS.ProcessEnv = { ...process.env, SMTP_URL: `smtp://127.0.0.1:${smtp.port}` };
  let workers: TWorkerProcess[] = [];
  const workerPids: number[] = [];
  const allWorkers: TWorkerProcess[] = [];
  const timeline: Array<{ atMs: number; what: string }> = [];
  const mark = (what: string): void => {
    timeline.push({ atMs: Date.now(), what });
    say(what);
  };

  const startWorker = async (label: string): Promise<void> => {
    const started = Date.now();
    workers = PROCESSES.map((process_) => {
      const env = {
        ...workerEnv,
        ...(process_.queues ? { WORKER_QUEUES: process_.queues } : {}),
        ...(WORKER_POOL_MAX > 0 ? { BENCH_PG_POOL_MAX: String(WORKER_POOL_MAX) } : {}),
      };
      return spawnWorker({
        cwd: ROOT,
        env,
        logFile: WORKER_LOG,
        label: `${label}, ${process_.name}`,
        ...(CPU_PROFILE ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${path.join(RESULTS, "profiles")}`] } : {}),
        ...(WORKER_POOL_MAX > 0 ? { preload: ["./bench/pg-pool-max.ts"] } : {}),
      });
    });
    for (const spawned of workers) {
      workerPids.push(spawned.pid);
      allWorkers.push(spawned);
    }
    await Promise.all(workers.map((spawned) => spawned.up));
    mark(
      `worker${workers.length > 1 ? "s" : ""} ${workers.map((spawned, index) => `${spawned.pid} (${PROCESSES[index]?.name})`).join(", ")} up (${label}) in ${Date.now() - started} ms`,
    );
  };

  try {
    // ---- fixtures ---------------------------------------------------------------------------
    const admin = await createActor({ groups: ["portal-admins"] });
    const resourceKey = `bench-${randomBytes(3).toString("hex")}`;
    const resource = await db.resource.create({
      data: { key: resourceKey, name: "Bench resource", environment: "production", permissions: ["read", "write"] },
    });
    const endpoint = await createEndpoint({
      actor: admin,
      resourceKey,
      url: `http://127.0.0.1:${receiver.port}/hook`,
      events: ["grant.expired"],
    });
    secret = endpoint.secret;
    const subjects = await Promise.all(
      Array.from({ length: SUBJECTS }, (_, index) => createUser({ name: `Bench subject ${index + 1}` })),
    );
    say(
      `resource ${resourceKey}, endpoint ${endpoint.endpointId} -> 127.0.0.1:${receiver.port} (grant.expired only), ${SUBJECTS} subjects, SMTP sink :${smtp.port}`,
    );

    await startWorker("initial");

    // ---- grants -----------------------------------------------------------------------------
    const windowStart = Date.now() + LEAD_MS;
    const windowEnd = windowStart + WINDOW_MS;
    const expected = new Map<string, number>(); // grantId -> expiresAt
    const creation = Date.now();
    let next = 0;
    const createOne = async (index: number): Promise<void> => {
      const startsAt = new Date();
      const expiresAt = new Date(windowStart + Math.floor((index * WINDOW_MS) / GRANTS));
      const grant = await db.$transaction(async (tx) => {
        const created = await tx.grant.create({
          data: {
            subjectId: (subjects[index % SUBJECTS] as { id: string }).id,
            resourceId: resource.id,
            permissions: ["read"],
            startsAt,
            expiresAt,
          },
          select: { id: true, startsAt: true, expiresAt: true },
        });
        await scheduleGrantLifecycle(tx, created);
        return created;
      });
      expected.set(grant.id, grant.expiresAt.getTime());
    };
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (next < GRANTS) await createOne(next++);
      }),
    );
    const createdIn = Date.now() - creation;
    mark(
      `${GRANTS} grants created in ${createdIn} ms; expiries from +${((windowStart - Date.now()) / 1000).toFixed(1)} s for ${WINDOW_MS / 1000} s`,
    );
    if (Date.now() > windowStart - 2_000)
      say("WARNING: creation ended less than 2 s before the first expiry; raise --lead-ms");

    // ---- the disruption, halfway through the window -----------------------------------------
    const disruptAt = windowStart + WINDOW_MS / 2;
    let disruption: Record<string, unknown> = {};
    const disrupt = async (): Promise<void> => {
      await sleep(Math.max(0, disruptAt - Date.now()));
      if (MODE === "flush-redis") {
        const deleted = await deleteRedisPrefix(redisClient, REDIS_PREFIX);
        mark(`FLUSH: deleted ${deleted} keys under ${REDIS_PREFIX}:*`);
        disruption = { kind: "flush-redis", at: Date.now(), deletedKeys: deleted, recover: RECOVER };
        if (RECOVER === "reconcile" || RECOVER === "both") {
          const started = Date.now();
          const result = await reconcileLifecycle();
          mark(
            `reconcileLifecycle() from the bench process (models an operator or the periodic run): ${result.grants} grants, ${result.enqueued} jobs, ${Date.now() - started} ms`,
          );
          disruption.reconcile = { ...result, ms: Date.now() - started };
        }
        if (RECOVER === "restart" || RECOVER === "both") {
          const stopping = Date.now();
          await Promise.all(workers.map((running) => stopWorker(running)));
          mark(`workers stopped (SIGTERM) in ${Date.now() - stopping} ms`);
          await startWorker("restart after flush (its start reconciles)");
        }
      } else if (MODE === "kill-worker") {
        for (const running of workers) running.child.kill("SIGKILL");
        await Promise.all(workers.map((running) => running.exited));
        mark(`KILL: every worker (${workers.map((running) => running.pid).join(", ")}) SIGKILLed`);
        disruption = { kind: "kill-worker", at: Date.now() };
        await sleep(2_000);
        await startWorker("restart 2 s after SIGKILL");
      }
    };
    const disrupted = MODE === "default" ? Promise.resolve() : disrupt();

    // ---- wait for the deliveries ------------------------------------------------------------
    const deadline = windowEnd + 60_000;
    const webhooks = new Queue("webhooks", {
      connection: { url: REDIS_URL, maxRetriesPerRequest: null },
      prefix: REDIS_PREFIX,
    });
    webhooks.on("error", () => undefined);
    let reported = 0;
    for (;;) {
      await sleep(250);
      const arrived = [...receiver.received.values()].filter((entry) => expected.has(entry.grantId)).length;
      if (arrived !== reported && (arrived === GRANTS || Math.floor(arrived / 250) !== Math.floor(reported / 250)))
        say(`${arrived}/${GRANTS} expiry webhooks received`);
      reported = arrived;
      if (Date.now() > deadline) {
        say("deadline (window end + 60 s) reached");
        break;
      }
      if (arrived < GRANTS || Date.now() < disruptAt) continue;
      // Everything arrived: also wait until no delivery is pending anywhere, so a late
      // duplicate (a retried job whose first attempt did reach us) is still counted.
      const undelivered = await db.webhookDelivery.count({ where: { deliveredAt: null } });
      const counts = await webhooks.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
      const pending = Object.values(counts).reduce((sum, value) => sum + value, 0);
      if (undelivered === 0 && pending === 0) {
        await sleep(1_000);
        break;
      }
    }
    await disrupted;
    const finishedAt = Date.now();
    await webhooks.close();

    // ---- results ----------------------------------------------------------------------------
    const lags: number[] = [];
    const lagByGrant = new Map<string, { lag: number; receivedAt: number }>();
    // A retry of one webhook-id, and a second grant.expired for the same grant under a new id.
    const { sameId: duplicateIds, sameGrant: duplicates } = countDuplicates(receiver.received.values());
    let unexpected = 0;
    for (const entry of receiver.received.values()) {
      const expiresAt = expected.get(entry.grantId);
      if (expiresAt === undefined) {
        unexpected += 1;
        continue;
      }
      const lag = entry.receivedAt - expiresAt;
      // A duplicate for the grant (counted above) does not replace its first arrival.
      const first = lagByGrant.get(entry.grantId);
      if (first && first.receivedAt <= entry.receivedAt) continue;
      if (first) lags.splice(lags.indexOf(first.lag), 1);
      lags.push(lag);
      lagByGrant.set(entry.grantId, { lag, receivedAt: entry.receivedAt });
    }
    const missing = [...expected.keys()].filter((grantId) => !lagByGrant.has(grantId));
    const overall = stats(lags);

    // Where the time goes, from the rows the app wrote: the expire job's own lag (audit
    // details.lagMs: job start - expiresAt), then the outbox row of the delivery job (written in
    // expireGrant's transaction) to its relay, then relay to receipt.
    const audits = await db.auditEvent.findMany({
      where: { action: "grant.expired" },
      select: { targetId: true, details: true },
    });
    const fireLag = audits
      .map((event) => Number((event.details as { lagMs?: number }).lagMs))
      .filter((value) => Number.isFinite(value));
    const deliveries = await db.webhookDelivery.findMany({
      select: { id: true, grantId: true, attempts: true, createdAt: true },
    });
    const outbox = await db.outboxJob.findMany({
      where: { name: "webhook.deliver" },
      select: { jobId: true, createdAt: true, dispatchedAt: true },
    });
    const outboxByJob = new Map(outbox.map((row) => [row.jobId, row]));
    const txToRelay: number[] = [];
    const relayToReceived: number[] = [];
    const expireToTx: number[] = [];
    for (const delivery of deliveries) {
      const row = outboxByJob.get(`webhook_${delivery.id}`);
      const got = delivery.grantId ? lagByGrant.get(delivery.grantId) : undefined;
      const expiresAt = delivery.grantId ? expected.get(delivery.grantId) : undefined;
      if (!row?.dispatchedAt || !got || expiresAt === undefined) continue;
      expireToTx.push(row.createdAt.getTime() - expiresAt);
      txToRelay.push(row.dispatchedAt.getTime() - row.createdAt.getTime());
      relayToReceived.push(got.receivedAt - row.dispatchedAt.getTime());
    }
    const retried = deliveries.filter((delivery) => delivery.attempts > 1).length;
    // The grant.start burst shares the lifecycle queue, the pool and the audit chain lock.
    const activations = await db.grantLifecycleEvent.aggregate({
      where: { kind: "ACTIVATED" },
      _count: true,
      _max: { createdAt: true },
    });
    const lastActivation = activations._max.createdAt?.getTime();

    // Split around the disruption: grants that expired before it, and those after.
    const disruptedAt = typeof disruption.at === "number" ? disruption.at : disruptAt;
    const before = [...lagByGrant.entries()]
      .filter(([grantId]) => (expected.get(grantId) as number) < disruptAt)
      .map(([, value]) => value.lag);
    const after = [...lagByGrant.entries()]
      .filter(([grantId]) => (expected.get(grantId) as number) >= disruptAt)
      .map(([, value]) => value.lag);
    const late = [...lagByGrant.values()].filter((value) => value.lag >= TARGET_P99_MS);
    const lastLate = late.reduce((latest, value) => Math.max(latest, value.receivedAt), 0);

    console.log("");
    console.log(
      `== bench:expiry  mode=${MODE} topology=${TOPOLOGY}${MODE === "flush-redis" ? ` (recover=${RECOVER})` : ""}`,
    );
    console.log(
      `grants                 ${GRANTS} expiring uniformly over ${WINDOW_MS / 1000} s (created in ${createdIn} ms, concurrency ${CREATE_CONCURRENCY})`,
    );
    console.log(`received               ${lagByGrant.size}`);
    console.log(`missing                ${missing.length}`);
    console.log(
      `duplicates             ${duplicates} (same grant, any webhook-id; ${duplicateIds} of them under a repeated id)`,
    );
    console.log(`invalid signatures     ${receiver.invalid.length}`);
    if (unexpected > 0) console.log(`unexpected webhook ids ${unexpected}`);
    console.log(`deliveries retried     ${retried} (attempts > 1)`);
    console.log(formatStats("lag received - expiresAt", overall));
    if (overall)
      console.log(
        `  => p50 ${overall.p50} ms, p99 ${overall.p99} ms, max ${overall.max} ms; target p99 < ${TARGET_P99_MS} ms: ${overall.p99 < TARGET_P99_MS ? "met" : "MISSED"}`,
      );
    console.log("breakdown (from the app's rows):");
    console.log(formatStats("  expire job start - expiresAt", stats(fireLag)));
    console.log(formatStats("  outbox row written - expiresAt", stats(expireToTx)));
    console.log(formatStats("  outbox row -> relayed to BullMQ", stats(txToRelay)));
    console.log(formatStats("  relayed -> webhook received", stats(relayToReceived)));
    if (MODE !== "default") {
      console.log(
        `disruption             ${JSON.stringify({ ...disruption, at: undefined, atWindowMs: disruptedAt - windowStart })}`,
      );
      console.log(formatStats("  expired before the disruption", stats(before)));
      console.log(formatStats("  expired after the disruption", stats(after)));
      console.log(
        `  ${late.length} webhooks ${TARGET_P99_MS} ms or more late; ${late.length > 0 ? `the last of them arrived ${((lastLate - disruptedAt) / 1000).toFixed(1)} s after the disruption (recovery time)` : "no recovery backlog"}`,
      );
    }
    console.log(
      `activations            ${activations._count} grant.start side effects; the last at ${lastActivation ? `${((lastActivation - windowStart) / 1000).toFixed(1)} s from the first expiry` : "-"}`,
    );
    const failures = new Map<string, number>();
    for (const entry of allWorkers)
      for (const [key, count] of entry.failures) failures.set(key, (failures.get(key) ?? 0) + count);
    console.log(`worker job failures    ${failures.size === 0 ? "none" : ""}`);
    for (const [key, count] of [...failures].sort((a, b) => b[1] - a[1]))
      console.log(`  ${String(count).padStart(5)}  ${key}`);
    console.log(
      `load average           ${loadStart.map((value) => value.toFixed(2)).join(" ")} at start, ${os
        .loadavg()
        .map((value) => value.toFixed(2))
        .join(" ")} at end`,
    );
    console.log("timeline (s from first expiry):");
    for (const entry of timeline)
      console.log(`  ${((entry.atMs - windowStart) / 1000).toFixed(2).padStart(7)}  ${entry.what}`);
    console.log(`worker log             ${path.relative(ROOT, WORKER_LOG)} (pids ${workerPids.join(", ")})`);
    const workerEvents = Object.fromEntries(
      workers.map((running, index) => [PROCESSES[index]?.name ?? String(index), Object.fromEntries(running.events)]),
    );
    console.log(`last workers' events   ${JSON.stringify(workerEvents)}`);
    console.log(`e-mails accepted       ${smtp.count()}`);

    const summary = {
      mode: MODE,
      recover: MODE === "flush-redis" ? RECOVER : undefined,
      grants: GRANTS,
      windowMs: WINDOW_MS,
      leadMs: LEAD_MS,
      workerPoolMax: WORKER_POOL_MAX > 0 ? WORKER_POOL_MAX : undefined,
      cpus: os.cpus().length,
      node: process.version,
      createdInMs: createdIn,
      received: lagByGrant.size,
      missing: missing.length,
      missingGrantIds: missing.slice(0, 50),
      duplicates,
      duplicateIds,
      invalidSignatures: receiver.invalid.length,
      invalidReasons: [...new Set(receiver.invalid)],
      retried,
      activations: { count: activations._count, lastAtWindowMs: lastActivation ? lastActivation - windowStart : null },
      failures: Object.fromEntries(failures),
      loadAverage: { start: loadStart, end: os.loadavg() },
      lag: overall,
      breakdown: {
        fireLag: stats(fireLag),
        expireToTx: stats(expireToTx),
        txToRelay: stats(txToRelay),
        relayToReceived: stats(relayToReceived),
      },
      disruption:
        MODE === "default"
          ? undefined
          : {
              ...disruption,
              atWindowMs: disruptedAt - windowStart,
              before: stats(before),
              after: stats(after),
              lateCount: late.length,
              recoveryMs: late.length > 0 ? lastLate - disruptedAt : 0,
            },
      timeline: timeline.map((entry) => ({ atWindowMs: entry.atMs - windowStart, what: entry.what })),
      totalMs: finishedAt - t0,
      workerLog: path.relative(ROOT, WORKER_LOG),
    } satisfies Record<string, unknown> & { lag: TStats | null };
    writeFileSync(JSON_OUT, `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`results                ${path.relative(ROOT, JSON_OUT)}`);
    return missing.length > 0 || duplicates > 0 ? 1 : 0;
  } finally {
    await Promise.all(workers.map((running) => stopWorker(running)));
    await receiver.close();
    await smtp.close();
    await closeQueues();
    await disconnectDb();
    await removeBenchData({ keep: KEEP, databaseUrl: DATABASE_URL, redis: redisClient, prefix: REDIS_PREFIX });
    redisClient.disconnect();
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
