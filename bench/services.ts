/**
 * `npm run bench -- [--duration=20] [--connections=64] [--keep]`: the services API's data plane.
 *
 * In one run, on its own database (`jit_bench_svc_<id>`) and Redis prefix, removed at the end:
 *  1. loads 10,000 active and 100,000 historical (expired or revoked) grants;
 *  2. starts the production API server (NODE_ENV=production, `node --import tsx api/main.ts`)
 *     twice: replica A under load, replica B for propagation;
 *  3. drives autocannon at POST /api/v1/access/check on A with valid tokens and a mix of
 *     allowed and denied subjects, then at a bare node:http server that parses the same body
 *     and returns constant JSON (Node's ceiling here); prints req/s, p50, p99 and the ratio;
 *  4. revokes grants 100 times and measures until replica B answers `allowed: false` (p99);
 *  5. measures the heap of a replica holding the 10,000 active grants.
 * `--profile` writes a CPU profile of replica A to bench/results/.
 * docs/bench-services.md describes the method and the numbers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import pg from "pg";
import { dropDatabase, ensureDatabase } from "../lib/db/ensure-database";
import { ROOT } from "../lib/cli/run";
import { deleteRedisPrefix, formatStats, stats } from "./support";
import { servicesVerdict } from "./verdicts";

const option = (name: string, fallback: string): string =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const DURATION = Number(option("duration", "20"));
const CONNECTIONS = Number(option("connections", "64"));
const KEEP = process.argv.includes("--keep");
/** Writes a V8 CPU profile of replica A to bench/results/ (open it in Chrome DevTools). */
const PROFILE = process.argv.includes("--profile");
const ACTIVE = 10_000;
const HISTORICAL = 100_000;
const USERS = 5_000;
const RESOURCES = 20;
const TRIALS = Number(option("trials", "100"));

const runId = `${process.pid}_${randomBytes(4).toString("hex")}`;
const base = new URL(
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
);
base.pathname = `/jit_bench_svc_${runId}`;
const DATABASE_URL = base.toString();
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_PREFIX = `jit-bench-svc-${runId}`;
const PORT_A = Number(option("port", "3290"));
const PORT_B = PORT_A + 1;
const PORT_BARE = PORT_A + 2;

// Production configuration for the API servers (and this process, which shares lib/).
const PRODUCTION_ENV: Record<string, string> = {
  NODE_ENV: "production",
  DATABASE_URL,
  REDIS_URL,
  REDIS_PREFIX,
  APP_URL: "http://localhost:3000",
  AUTH_SECRET: randomBytes(32).toString("base64"),
  WEBHOOK_ENCRYPTION_SECRET: randomBytes(32).toString("base64"),
  SIGNING_KEY_ENCRYPTION_SECRET: randomBytes(32).toString("base64"),
  CONNECTOR_ENCRYPTION_SECRET: randomBytes(32).toString("base64"),
  OIDC_ISSUER: "http://localhost:1",
  OIDC_CLIENT_ID: "bench",
  OIDC_CLIENT_SECRET: randomBytes(16).toString("hex"),
  ADMIN_GROUPS: "portal-admins",
  SECURITY_GROUPS: "security-reviewers",
  API_RATE_LIMIT: "1000000000",
  API_AUDIT_WINDOW_SECONDS: "10",
};
Object.assign(process.env, PRODUCTION_ENV);

const t0 = Date.now();
const say = (message: string): void =>
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const children: ChildProcess[] = [];
const startChild = (name: string, args: string[], env: Record<string, string>): ChildProcess => {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  child.stdout?.on("data", () => undefined);
  children.push(child);
  child.on("exit", (code, signal) => {
    if (code !== 0 && signal !== "SIGTERM") say(`${name} exited (${code ?? signal})`);
  });
  return child;
};
const stopChildren = async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
};

const waitForHttp = async (url: string, timeoutMs = 60_000) => {
  const started = Date.now();
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not come up`);
    await sleep(200);
  }
};

const run = (command: string, args: string[]): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: process.env });
    child.on("exit", (code) => resolve(code ?? 1));
  });

const BARE_SERVER = `
const http = require("node:http");
const answer = JSON.stringify({ allowed: false });
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    try { JSON.parse(Buffer.concat(chunks).toString("utf8")); } catch { res.writeHead(400).end(); return; }
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
    res.end(answer);
  });
}).listen(Number(process.env.BARE_PORT), "127.0.0.1");
`;

type TLoad = { rps: number; p50: number; p99: number; non2xx: number; errors: number; timeouts: number; total: number };

const load = async (url: string, headers: Record<string, string>, bodies: string[]): Promise<TLoad> => {
  const result = await autocannon({
    url,
    method: "POST",
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { "content-type": "application/json", ...headers },
    requests: bodies.map((body) => ({ method: "POST", body })),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    total: result.requests.total,
  };
};

const seed = async () => {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`insert into "Resource" (id, key, name, environment, permissions, "updatedAt")
      select 'bench-r' || g, 'bench-res-' || g, 'Bench ' || g, 'production', array['read','write'], now() from generate_series(1, ${RESOURCES}) g`);
    await client.query(`insert into "User" (id, issuer, subject, email, name, groups, "updatedAt")
      select 'bench-u' || g, 'https://bench.example', 's' || g, 'user' || g || '@bench.example', 'User ' || g, '{}', now() from generate_series(1, ${USERS}) g`);
    // Active: user k holds read on resource ((k-1) % 20) + 1, twice over (two grants).
    await client.query(`insert into "Grant" (id, "subjectId", "resourceId", permissions, "startsAt", "expiresAt", "updatedAt")
      select gen_random_uuid()::text, 'bench-u' || (g % ${USERS} + 1), 'bench-r' || (g % ${USERS} % ${RESOURCES} + 1), array['read'], now() - interval '1 minute', now() + interval '3 hours', now()
      from generate_series(0, ${ACTIVE - 1}) g`);
    // History: expired, every third one revoked before its end.
    await client.query(`insert into "Grant" (id, "subjectId", "resourceId", permissions, "startsAt", "expiresAt", "revokedAt", "updatedAt")
      select gen_random_uuid()::text, 'bench-u' || (g % ${USERS} + 1), 'bench-r' || (g % ${RESOURCES} + 1), array['read','write'], now() - interval '10 days' + (g || ' seconds')::interval,
        now() - interval '9 days' + (g || ' seconds')::interval, case when g % 3 = 0 then now() - interval '9 days' end, now()
      from generate_series(0, ${HISTORICAL - 1}) g`);
  } finally {
    await client.end();
  }
};

const main = async (): Promise<void> => {
  say(
    `duration=${DURATION} s connections=${CONNECTIONS}; ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")}, node ${process.version}`,
  );
  await ensureDatabase(DATABASE_URL);
  if ((await run("npx", ["prisma", "migrate", "deploy"])) !== 0)
    throw new Error("prisma migrate deploy failed on the bench database");
  await seed();
  say(`seeded ${ACTIVE} active and ${HISTORICAL} historical grants over ${USERS} users and ${RESOURCES} resources`);

  // lib/ modules read the configuration on first use: import them after the environment is set.
  const { createServiceClient } = await import("../lib/services/clients");
  const { announceReplicaChange } = await import("../lib/services/feed");
  const { GrantReplica } = await import("../lib/services/replica");
  const { db, disconnectDb } = await import("../lib/db");
  const { redis } = await import("../lib/redis");

  startChild(
    "api-a",
    [...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${ROOT}/bench/results`] : []), "--import", "tsx", "api/main.ts"],
    { API_PORT: String(PORT_A) },
  );
  startChild("api-b", ["--import", "tsx", "api/main.ts"], { API_PORT: String(PORT_B) });
  startChild("bare", ["-e", BARE_SERVER], { BARE_PORT: String(PORT_BARE) });
  await Promise.all([
    waitForHttp(`http://127.0.0.1:${PORT_A}/healthz`),
    waitForHttp(`http://127.0.0.1:${PORT_B}/healthz`),
  ]);
  say("API replicas A and B up (production configuration)");

  const created = await createServiceClient({
    actor: { kind: "system", name: "bench" },
    input: { name: "bench", scopes: ["access:check"] },
  });
  const tokenRes = await fetch(`http://127.0.0.1:${PORT_A}/api/v1/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${created.clientId}:${created.clientSecret}`).toString("base64")}`,
    },
    body: "grant_type=client_credentials",
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const auth = { authorization: `Bearer ${token}` };

  // Half allowed (by e-mail and by id), half denied (other permission, other resource, unknown).
  const bodies: string[] = [];
  for (let i = 0; i < 64; i += 1) {
    const k = 200 + ((i * 37) % (USERS - 200)) + 1;
    const resource = `bench-res-${((k - 1) % RESOURCES) + 1}`;
    const other = `bench-res-${(k % RESOURCES) + 1}`;
    const subject = i % 2 === 0 ? `user${k}@bench.example` : `bench-u${k}`;
    const variants = [
      { subject, resource, permission: "read" },
      { subject, resource, permission: "read" },
      { subject, resource, permission: "write" },
      i % 2 === 0
        ? { subject, resource: other, permission: "read" }
        : { subject: `nobody${i}@bench.example`, resource, permission: "read" },
    ];
    bodies.push(JSON.stringify(variants[i % 4]));
  }
  const sample = await Promise.all(
    bodies.slice(0, 8).map(
      async (body) =>
        (await (
          await fetch(`http://127.0.0.1:${PORT_A}/api/v1/access/check`, {
            method: "POST",
            headers: { ...auth, "content-type": "application/json" },
            body,
          })
        ).json()) as { allowed: boolean },
    ),
  );
  say(`sanity: ${sample.map((answer) => (answer.allowed ? "allowed" : "denied")).join(" ")}`);

  say(`autocannon: POST /api/v1/access/check on replica A (${DURATION} s)`);
  const api = await load(`http://127.0.0.1:${PORT_A}/api/v1/access/check`, auth, bodies);
  say(`autocannon: bare node:http ceiling (${DURATION} s)`);
  const bare = await load(`http://127.0.0.1:${PORT_BARE}/`, {}, bodies);

  // Memory: a replica holding the active grants, measured in this process with forced GCs.
  const gc = (globalThis as { gc?: () => void }).gc;
  let memoryPer10k: number | null = null;
  if (gc) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const replica = new GrantReplica({ pollMs: 1_000, subscribe: false, registerLocal: false });
    await replica.rebuild();
    gc();
    const after = process.memoryUsage().heapUsed;
    memoryPer10k = ((after - before) / replica.stats().grants) * 10_000;
    say(`replica holds ${replica.stats().grants} grants, ${replica.stats().users} users`);
  }

  // Propagation: revoke both grants of a user, then poll replica B until it answers no.
  const latencies: number[] = [];
  for (let trial = 0; trial < TRIALS; trial += 1) {
    const k = trial + 1;
    const body = JSON.stringify({
      subject: `bench-u${k}`,
      resource: `bench-res-${((k - 1) % RESOURCES) + 1}`,
      permission: "read",
    });
    const ask = async () =>
      (
        (await (
          await fetch(`http://127.0.0.1:${PORT_B}/api/v1/access/check`, {
            method: "POST",
            headers: { ...auth, "content-type": "application/json" },
            body,
          })
        ).json()) as { allowed: boolean }
      ).allowed;
    if (!(await ask())) throw new Error(`trial ${trial}: the subject holds nothing to revoke`);
    await db.grant.updateMany({
      where: { subjectId: `bench-u${k}`, revokedAt: null },
      data: { revokedAt: new Date(), revokeReason: "bench" },
    });
    const committed = performance.now();
    void announceReplicaChange();
    while (await ask()) {
      if (performance.now() - committed > 5_000) throw new Error(`trial ${trial}: not seen after 5 s`);
    }
    latencies.push(Math.round((performance.now() - committed) * 10) / 10);
  }
  const propagation = stats(latencies);

  console.log("");
  console.log(`== services bench (${os.cpus().length} CPUs, shared machine: numbers are indicative) ==`);
  const line = (label: string, l: TLoad) =>
    console.log(
      `${label.padEnd(30)} ${l.rps.toFixed(0).padStart(7)} req/s  p50=${l.p50} ms  p99=${l.p99} ms  (${l.total} requests, non-2xx ${l.non2xx}, errors ${l.errors}, timeouts ${l.timeouts})`,
    );
  line("POST /api/v1/access/check", api);
  line("bare node:http ceiling", bare);
  const ratio = api.rps / bare.rps;
  console.log(
    `ratio                          ${ratio.toFixed(2)} (target >= 0.40), check p99 ${api.p99} ms (target < 10 ms): ${servicesVerdict(api, bare).verdict}`,
  );
  if (servicesVerdict(api, bare).failed > 0) process.exitCode = 1;
  console.log(formatStats("revocation seen by replica B", propagation));
  console.log(
    memoryPer10k === null
      ? "memory: run with --expose-gc (npm run bench does)"
      : `memory per 10,000 active grants: ${(memoryPer10k / 1024 / 1024).toFixed(2)} MiB (heap)`,
  );

  await disconnectDb();
  redis().disconnect();
};

const cleanup = async () => {
  await stopChildren();
  if (KEEP) return say(`kept database ${DATABASE_URL} and Redis prefix ${REDIS_PREFIX}`);
  await dropDatabase(DATABASE_URL).catch((error: unknown) => say(`could not drop ${DATABASE_URL}: ${String(error)}`));
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  await client.connect();
  await deleteRedisPrefix(client, REDIS_PREFIX);
  client.disconnect();
  say("cleaned up (database dropped, Redis prefix deleted, servers stopped)");
};

let code = 0;
process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
main()
  .catch((error: unknown) => {
    console.error(error);
    code = 1;
  })
  .finally(async () => {
    await cleanup();
    process.exit(code);
  });
