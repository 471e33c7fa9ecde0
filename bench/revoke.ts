/**
 * `npm run bench:revoke`: when a PostgreSQL grant ends, how long until a new login is refused,
 * and until a session already open is killed? 200 grants end within the same 10 s, each with an
 * open session running a query loop.
 *
 *   npm run bench:revoke                    grants expire (measured from each expiresAt)
 *   npm run bench:revoke -- --revoke        each grant is revoked early by its subject
 *                                           (measured from the revoke call)
 *   npm run bench:revoke -- --flush-redis   halfway through the window every key under the
 *                                           bench's Redis prefix is deleted
 *
 * Options: --grants=N (200), --window-ms=N (10000), --lead-ms=N (from the end of set-up to the
 * first end; 30000), --keep, --json=FILE.
 *
 * The target is a private PostgreSQL cluster (lib/testing/postgres-cluster.ts) with password
 * authentication, so `VALID UNTIL` is enforced, and room for 200 sessions (the shared cluster
 * allows 100 connections). The portal's database and Redis prefix are the bench's own, as in
 * bench:expiry; the worker is the real one, as a child process. Exit code 1 when a role is left
 * over or a session outlives its grant by more than 30 s.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import pg from "pg";
import type { TUserActor } from "../lib/authz";
import { dropDatabase, ensureDatabase } from "../lib/db/ensure-database";
import {
  deleteRedisPrefix,
  formatStats,
  removeBenchData,
  sleep,
  spawnWorker,
  startSmtpSink,
  stats,
  stopWorker,
} from "./support";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESULTS = path.join(ROOT, "bench", "results");
const TARGET_P99_MS = 1_000;
// Each open session's query loop: its work between two checks (the kill itself is seen at once).
const QUERY_EVERY_MS = 100;

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string, fallback: string): string =>
  argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const GRANTS = Number(option("grants", "200"));
const WINDOW_MS = Number(option("window-ms", "10000"));
const LEAD_MS = Number(option("lead-ms", "30000"));
const REVOKE = flag("revoke");
const FLUSH = flag("flush-redis");
const KEEP = flag("keep");
const MODE = `${REVOKE ? "revoke" : "expiry"}${FLUSH ? "-flush-redis" : ""}`;

const runId = `${process.pid}_${randomBytes(4).toString("hex")}`;
const base = new URL(process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
base.pathname = `/jit_bench_${runId}`;
const DATABASE_URL = base.toString();
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_PREFIX = `jit-bench-${runId}`;
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
mkdirSync(RESULTS, { recursive: true });
const WORKER_LOG = path.join(RESULTS, `revoke-${MODE}-${stamp}-worker.log`);
const JSON_OUT = option("json", path.join(RESULTS, `revoke-${MODE}-${stamp}.json`));
for (const name of ["APP_URL", "AUTH_SECRET", "ADMIN_GROUPS", "SECURITY_GROUPS", "SMTP_URL", "CHAT_WEBHOOK_URL"])
  delete process.env[name];
Object.assign(process.env, { NODE_ENV: "development", DATABASE_URL, REDIS_URL, REDIS_PREFIX, LOG_LEVEL: "silent" });

const t0 = Date.now();
const say = (message: string): void =>
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);

const run = (command: string, args: string[]): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: process.env });
    child.on("exit", (code) => resolve(code ?? 1));
  });

/** The revoking process (bench/revoke-caller.ts), fed one JSON line per revocation. */
const startRevokeCaller = () => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", "revoke-caller.ts")], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "inherit"],
    env: process.env,
  });
  type TAnswer = { grantId: string; calledAt: number; doneAt: number; error?: string };
  const waiting = new Map<string, (answer: TAnswer) => void>();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (!line.startsWith("{")) return;
    const answer = JSON.parse(line) as TAnswer;
    waiting.get(answer.grantId)?.(answer);
    waiting.delete(answer.grantId);
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    revoke: (grantId: string, actor: TUserActor) =>
      new Promise<TAnswer>((resolve) => {
        waiting.set(grantId, resolve);
        child.stdin!.write(`${JSON.stringify({ grantId, actor })}\n`);
      }),
    close: async () => {
      child.stdin!.end();
      await exited;
    },
  };
};

type TSample = {
  grantId: string;
  user: string;
  password: string;
  endAt: number;
  refusedAt: number | null;
  killedAt: number | null;
  queries: number;
  errors: string[];
};

// Stopped on any exit: a private cluster left running would hold a port and a directory.
let stopCluster: (() => void) | null = null;

const main = async (): Promise<number> => {
  const load = os.loadavg();
  say(
    `mode=${MODE} grants=${GRANTS} window=${WINDOW_MS} ms; ${os.cpus().length} CPUs, load ${load.map((v) => v.toFixed(1)).join(" ")}`,
  );
  await ensureDatabase(DATABASE_URL);
  if ((await run("npx", ["prisma", "migrate", "deploy"])) !== 0) throw new Error("migrate deploy failed");
  const { startPostgresCluster } = await import("../lib/testing/postgres-cluster");
  const { createPostgresTarget, countLoginRoles } = await import("../lib/testing/postgres-target");
  const cluster = await startPostgresCluster({ maxConnections: GRANTS * 2 + 60 });
  stopCluster = cluster.stop;
  const target = await createPostgresTarget({ clusterUrl: cluster.superuserUrl });
  say(`target cluster on port ${cluster.port} (scram-sha-256), database ${target.database}`);

  const { db, disconnectDb } = await import("../lib/db");
  const { createActor } = await import("../lib/testing/fixtures");
  const { attachConnector, queueGrantProvisioning } = await import("../lib/provisioning");
  const { scheduleGrantLifecycle } = await import("../lib/access/lifecycle");
  const { unseal } = await import("../lib/security/sealed");
  const { closeQueues } = await import("../lib/queue/producer");
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });

  const admin = await createActor({ groups: ["portal-admins"] });
  const resource = await db.resource.create({
    data: {
      key: `bench-pg-${runId.replace(/_/g, "-")}`.slice(0, 60),
      name: "Bench PostgreSQL",
      environment: "bench",
      permissions: ["read"],
    },
  });
  const { id: connectorId } = await attachConnector({
    actor: admin,
    input: {
      resourceKey: resource.key,
      kind: "postgres",
      name: "bench",
      settings: { adminUrl: target.adminUrl, loginRolePattern: target.loginRolePattern },
      mapping: { read: [target.readRole] },
      credential: target.adminPassword,
    },
  });

  // Start and end notices go to a local SMTP sink, as in bench:expiry.
  const smtp = await startSmtpSink();
  const worker = spawnWorker({
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "info", SMTP_URL: `smtp://127.0.0.1:${smtp.port}` },
    logFile: WORKER_LOG,
    label: MODE,
  });
  await worker.up;
  say("worker up");

  // Grants start now; their ends are spread over the window, which opens after the set-up.
  const subjects = await Promise.all(Array.from({ length: 10 }, () => createActor({ groups: ["engineers"] })));
  const setupStart = Date.now();
  const grantIds: string[] = [];
  for (let i = 0; i < GRANTS; i += 1) {
    const subject = subjects[i % subjects.length]!;
    const id = await db.$transaction(
      async (tx) => {
        const grant = await tx.grant.create({
          data: {
            subjectId: subject.userId,
            resourceId: resource.id,
            permissions: ["read"],
            startsAt: new Date(),
            // Far enough: set-up takes a while on a busy machine; moved to the window below.
            expiresAt: new Date(Date.now() + 3_600_000),
          },
        });
        await scheduleGrantLifecycle(tx, grant);
        return grant.id;
      },
      { timeout: 60_000 },
    );
    grantIds.push(id);
  }
  say(`${GRANTS} grants created in ${Date.now() - setupStart} ms; waiting for their provisioning`);
  for (;;) {
    const ready = await db.grantProvisioning.count({ where: { connectorId, credentialSealed: { not: null } } });
    if (ready === GRANTS) break;
    if (Date.now() - setupStart > 300_000) throw new Error(`only ${ready} of ${GRANTS} provisioned after 300 s`);
    await sleep(500);
  }
  say(`all provisioned after ${Date.now() - setupStart} ms`);
  const states = await db.grantProvisioning.findMany({
    where: { connectorId },
    select: { grantId: true, credentialSealed: true },
  });
  const samples: TSample[] = states.map((state) => {
    const credential = JSON.parse(unseal(state.credentialSealed!, { purpose: "connector-credentials" })) as {
      fields: Array<{ label: string; value: string }>;
    };
    const field = (label: string) => credential.fields.find((entry) => entry.label === label)?.value ?? "";
    return {
      grantId: state.grantId,
      user: field("Username"),
      password: field("Password"),
      endAt: 0,
      refusedAt: null,
      killedAt: null,
      queries: 0,
      errors: [],
    };
  });

  const target0 = new URL(cluster.superuserUrl);
  const login = async (sample: TSample) => {
    const client = new pg.Client({
      host: target0.hostname,
      port: Number(target0.port),
      database: target.database,
      user: sample.user,
      password: sample.password,
      connectionTimeoutMillis: 5_000,
    });
    client.on("error", () => undefined);
    await client.connect();
    return client;
  };

  // One open session per grant, each running a query loop until the target kills it. The kill is
  // taken from the connection's end (the server's FATAL 57P01 and the socket closing), which the
  // client sees at once even between two queries; the loop is the session's work, and a backstop.
  const sessions = await Promise.all(samples.map(async (sample) => ({ sample, client: await login(sample) })));
  say(`${sessions.length} sessions open`);
  let stopLoops = false;
  for (const { sample, client } of sessions)
    client.on("end", () => {
      if (!stopLoops) sample.killedAt ??= Date.now();
    });
  const loops = sessions.map(async ({ sample, client }) => {
    while (!stopLoops && sample.killedAt === null) {
      try {
        await client.query("select count(*) from items");
        sample.queries += 1;
      } catch {
        if (!stopLoops) sample.killedAt ??= Date.now();
        return;
      }
      await sleep(QUERY_EVERY_MS);
    }
  });

  // The window: ends spread evenly; expiry mode moves each grant's end (and its jobs) there.
  const windowStart = Date.now() + LEAD_MS;
  const ends = samples.map((_, index) => windowStart + Math.round((index * WINDOW_MS) / Math.max(1, GRANTS - 1)));
  if (!REVOKE) {
    await db.$transaction(
      async (tx) => {
        for (const [index, sample] of samples.entries()) {
          const expiresAt = new Date(ends[index]!);
          {
            await tx.grant.update({ where: { id: sample.grantId }, data: { expiresAt } });
            const grant = await tx.grant.findUniqueOrThrow({ where: { id: sample.grantId } });
            await scheduleGrantLifecycle(tx, grant, { moved: { now: new Date() } });
            // As an extension does: the target is told the new end (VALID UNTIL).
            await queueGrantProvisioning(tx, [{ grant, eventType: "grant.extended", occurredAt: new Date() }]);
          }
          sample.endAt = expiresAt.getTime();
        }
      },
      { timeout: 120_000 },
    );
    for (;;) {
      const told = await db.$queryRaw<Array<{ n: number }>>`
        select count(*)::int as n from "GrantProvisioning" p join "Grant" g on g.id = p."grantId"
         where p."connectorId" = ${connectorId} and p."provisionedUntil" = g."expiresAt"`;
      if ((told[0]?.n ?? 0) === GRANTS) break;
      if (Date.now() > windowStart - 1_000) {
        say(`WARNING: only ${told[0]?.n ?? 0} of ${GRANTS} roles carry their new end as VALID UNTIL at the window`);
        break;
      }
      await sleep(250);
    }
    say("ends moved into the window; the target has each as VALID UNTIL");
  }
  const lead = windowStart - Date.now();
  say(`window opens in ${lead} ms`);

  // When is a new login refused? PostgreSQL decides at each login from its catalog: the role must
  // exist, have LOGIN and a VALID UNTIL still ahead. One superuser connection reads that for every
  // ended grant not yet refused, every 10 ms; when the catalog says refused, a real login with the
  // grant's credential must be refused too (anything else is a probe error, and real logins go on
  // every 100 ms). A scram login per grant every 25 ms, as before, saturated two cores at 200
  // grants: the probe, not the portal, was measured (docs/bench-revoke.md).
  const watcher = new pg.Client({ connectionString: cluster.superuserUrl, database: target.database });
  await watcher.connect();
  const catalogSaysRefused = async (pending: TSample[]): Promise<Set<string>> => {
    const { rows } = await watcher.query<{ rolname: string }>(
      `select rolname from pg_roles
        where rolname = any($1) and rolcanlogin and (rolvaliduntil is null or rolvaliduntil > now())`,
      [pending.map((sample) => sample.user)],
    );
    const open = new Set(rows.map((row) => row.rolname));
    return new Set(pending.filter((sample) => !open.has(sample.user)).map((sample) => sample.user));
  };
  const loginRefused = async (sample: TSample): Promise<boolean> => {
    try {
      const client = await login(sample);
      await client.end();
      return false;
    } catch (error) {
      const message = String(error);
      if (/password authentication failed|does not exist|not permitted to log in/.test(message)) return true;
      sample.errors.push(message.slice(0, 120));
      return false;
    }
  };
  const probing = new Set<TSample>();
  let stopWatch = false;
  const watch = (async () => {
    let lastRealLogin = 0;
    while (!stopWatch) {
      const pending = [...probing].filter((sample) => sample.refusedAt === null && Date.now() >= sample.endAt);
      if (pending.length > 0) {
        const refusedNow = await catalogSaysRefused(pending);
        // The catalog was read somewhere before now: now is the upper bound, and what is reported.
        const seenAt = Date.now();
        const realRound = seenAt - lastRealLogin >= 100;
        if (realRound) lastRealLogin = seenAt;
        await Promise.all(
          pending.map(async (sample) => {
            if (!refusedNow.has(sample.user) && !realRound) return;
            if (await loginRefused(sample)) sample.refusedAt = refusedNow.has(sample.user) ? seenAt : Date.now();
            else if (refusedNow.has(sample.user)) sample.errors.push("a login succeeded after the catalog refused it");
          }),
        );
      }
      await sleep(10);
    }
  })();
  const probe = async (sample: TSample) => {
    probing.add(sample);
    while (sample.refusedAt === null && Date.now() - sample.endAt < 60_000) await sleep(25);
  };

  let flushed: { at: number; keys: number } | null = null;
  const flushTimer = FLUSH
    ? setTimeout(
        () => {
          void deleteRedisPrefix(redis, REDIS_PREFIX).then((keys) => {
            flushed = { at: Date.now(), keys };
            say(`Redis flushed: ${keys} keys deleted`);
          });
        },
        windowStart + WINDOW_MS / 2 - Date.now(),
      )
    : null;

  // Revocations come from a process of their own, as from the portal's web process: the probe's
  // sessions and loops in this process must not slow them. A sample's end is the moment the
  // caller calls revokeGrant.
  const caller = REVOKE ? startRevokeCaller() : null;
  const subjectOf = new Map(
    (await db.grant.findMany({ where: { id: { in: grantIds } }, select: { id: true, subjectId: true } })).map(
      (grant) => [grant.id, subjects.find((candidate) => candidate.userId === grant.subjectId)!],
    ),
  );
  const probes = samples.map(async (sample, index) => {
    await sleep(Math.max(0, ends[index]! - Date.now()));
    if (caller) {
      sample.endAt = Date.now();
      const answer = await caller.revoke(sample.grantId, subjectOf.get(sample.grantId)!);
      sample.endAt = answer.calledAt;
      if (answer.error) sample.errors.push(answer.error);
    }
    await probe(sample);
  });
  await Promise.all(probes);
  await caller?.close();
  stopWatch = true;
  await watch;
  await watcher.end();
  const deadline = Date.now() + 40_000;
  while (samples.some((sample) => sample.killedAt === null) && Date.now() < deadline) await sleep(200);
  stopLoops = true;
  if (flushTimer) clearTimeout(flushTimer);
  await Promise.all(loops);
  await Promise.all(sessions.map(({ client }) => client.end().catch(() => undefined)));
  // The end (logins refused, sessions killed) comes first; the deprovision jobs drop the roles
  // after it. Leftover roles are counted once the clean-up has had up to 60 s to finish.
  const lastEnd = Math.max(...samples.map((sample) => sample.endAt));
  let leftover = await countLoginRoles(target);
  const cleanupDeadline = Date.now() + 60_000;
  while (leftover > 0 && Date.now() < cleanupDeadline) {
    await sleep(250);
    leftover = await countLoginRoles(target);
  }
  const cleanedUpAfterMs = leftover === 0 ? Date.now() - lastEnd : null;

  const refused = samples.filter((s) => s.refusedAt !== null).map((s) => s.refusedAt! - s.endAt);
  const killed = samples.filter((s) => s.killedAt !== null).map((s) => s.killedAt! - s.endAt);
  for (const sample of samples)
    if (sample.killedAt !== null && (sample.endAt === 0 || sample.killedAt < sample.endAt))
      sample.errors.push("the session ended before its grant did");
  const errors = samples.flatMap((s) => s.errors);
  const failures = [...worker.failures.entries()];
  const swept = worker.events.get("provisioning.swept") ?? 0;
  console.log("");
  console.log(
    `mode ${MODE}: ${GRANTS} grants ending within ${WINDOW_MS} ms; load average at start ${load.map((v) => v.toFixed(1)).join(" ")}, at end ${os
      .loadavg()
      .map((v) => v.toFixed(1))
      .join(" ")}`,
  );
  console.log(formatStats("new login refused after end", stats(refused)));
  console.log(formatStats("open session killed after end", stats(killed)));
  console.log(
    `not refused: ${GRANTS - refused.length}; sessions not killed: ${GRANTS - killed.length}; leftover roles: ${leftover}${cleanedUpAfterMs === null ? "" : ` (every role dropped ${cleanedUpAfterMs} ms after the last end)`}`,
  );
  console.log(
    `probe errors: ${errors.length}; worker job failures: ${failures.length}; sweeper passes that acted: ${swept}${flushed ? `; Redis flushed at +${(flushed as { at: number }).at - windowStart} ms into the window` : ""}`,
  );
  for (const [what, count] of failures.slice(0, 5)) console.log(`  ${count} x ${what}`);
  const kinds = new Map<string, number>();
  for (const error of errors) kinds.set(error, (kinds.get(error) ?? 0) + 1);
  for (const [what, count] of [...kinds.entries()].slice(0, 5)) console.log(`  probe: ${count} x ${what}`);
  const refusedStats = stats(refused);
  const killedStats = stats(killed);
  writeFileSync(
    JSON_OUT,
    JSON.stringify(
      {
        mode: MODE,
        grants: GRANTS,
        windowMs: WINDOW_MS,
        load: { start: load, end: os.loadavg() },
        refused: refusedStats,
        killed: killedStats,
        notRefused: GRANTS - refused.length,
        notKilled: GRANTS - killed.length,
        leftover,
        cleanedUpAfterMs,
        probeErrors: errors.length,
        workerFailures: failures,
        flushed,
      },
      null,
      2,
    ),
  );
  const ok =
    leftover === 0 && killed.length === GRANTS && refused.length === GRANTS && Math.max(...killed, ...refused) < 30_000;
  const met = (refusedStats?.p99 ?? Infinity) < TARGET_P99_MS && (killedStats?.p99 ?? Infinity) < TARGET_P99_MS;
  console.log(`target p99 < ${TARGET_P99_MS} ms: ${met ? "met" : "NOT met"}; results in ${JSON_OUT}`);

  await stopWorker(worker);
  await closeQueues().catch(() => undefined);
  await removeBenchData({ keep: KEEP, databaseUrl: DATABASE_URL, redis, prefix: REDIS_PREFIX });
  await disconnectDb();
  redis.disconnect();
  await target.drop().catch(() => undefined);
  cluster.stop();
  await smtp.close();
  return ok ? 0 : 1;
};

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error);
    try {
      stopCluster?.();
    } catch {
      // Already stopped.
    }
    await dropDatabase(DATABASE_URL).catch(() => undefined);
    process.exit(1);
  },
);
