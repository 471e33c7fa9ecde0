/**
 * `npm run bench:token-flood -- [--baseline=10] [--duration=20] [--addresses=2000] [--connections=64] [--keep]`:
 * the token endpoint under an attacker's flood (docs/bench-token-flood.md).
 *
 * On its own database (`jit_bench_tok_<id>`) and Redis prefix, removed at the end:
 *  1. starts the production services API server (`node --import tsx api/main.ts`, NODE_ENV=production,
 *     default token guards, one trusted proxy so the attacker can speak from many addresses);
 *  2. baseline: a legitimate client asks for tokens back to back (`--baseline` seconds);
 *  3. flood: an attacker process (lib/testing/flood.ts) posts, from `--addresses` addresses with
 *     `--connections` in flight, random client ids and the legitimate client's id with wrong
 *     secrets, while the legitimate client keeps asking; halfway through, a second legitimate
 *     client asks for its first token (its secret never seen by this replica);
 *  4. prints, for each phase, the legitimate client's tokens/s, p50 and p99 and answers, the
 *     attacker's answers, and the server's CPU (from /proc), with the machine's load average.
 * The legitimate client is a fleet behind one address asking as fast as it can, so the per-address
 * request limit is raised for the run (API_TOKEN_RATE_LIMIT_IP); every other guard is the default.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { Redis } from "ioredis";
import { ROOT } from "../lib/cli/run";
import { dropDatabase, ensureDatabase } from "../lib/db/ensure-database";
import { freePort } from "../lib/testing/free-port";
import { deleteRedisPrefix, stats } from "./support";

const option = (name: string, fallback: string): string =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const BASELINE_S = Number(option("baseline", "10"));
const DURATION_S = Number(option("duration", "20"));
const ADDRESSES = Number(option("addresses", "2000"));
const CONNECTIONS = Number(option("connections", "64"));
const KEEP = process.argv.includes("--keep");

const runId = `${process.pid}_${randomBytes(4).toString("hex")}`;
const base = new URL(
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
);
base.pathname = `/jit_bench_tok_${runId}`;
const DATABASE_URL = base.toString();
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_PREFIX = `jit-bench-tok-${runId}`;

Object.assign(process.env, {
  NODE_ENV: "production",
  DATABASE_URL,
  REDIS_URL,
  REDIS_PREFIX,
  APP_URL: "http://localhost:3000",
  AUTH_SECRET: randomBytes(32).toString("base64"),
  OIDC_ISSUER: "http://localhost:1",
  OIDC_CLIENT_ID: "bench",
  OIDC_CLIENT_SECRET: randomBytes(16).toString("hex"),
  ADMIN_GROUPS: "portal-admins",
  SECURITY_GROUPS: "security-reviewers",
  LOG_LEVEL: "warn",
  API_TRUST_PROXY: "1",
  API_TOKEN_RATE_LIMIT_IP: "1000000",
});

const t0 = Date.now();
const say = (message: string): void =>
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

const children: ChildProcess[] = [];
const startChild = (args: string[], env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  children.push(child);
  const exited = new Promise<string>((resolve) => child.once("exit", () => resolve(stdout)));
  return { child, exited };
};

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
const cpuSeconds = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

const run = (command: string, args: string[]): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: process.env });
    child.on("exit", (code) => resolve(code ?? 1));
  });

type TClient = { clientId: string; clientSecret: string };

const tokenRequest = async (url: string, client: TClient) => {
  const started = performance.now();
  const res = await fetch(`${url}/api/v1/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
    },
    body: "grant_type=client_credentials",
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
};

/** The legitimate client, back to back with two requests in flight, until `until`. */
const legitimate = async (url: string, client: TClient, until: number) => {
  const latencies: number[] = [];
  const answers: Record<string, number> = {};
  const started = Date.now();
  await Promise.all(
    [0, 1].map(async () => {
      while (Date.now() < until) {
        const { status, ms } = await tokenRequest(url, client);
        answers[status] = (answers[status] ?? 0) + 1;
        if (status === 200) latencies.push(ms);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  return { tokensPerSecond: (answers["200"] ?? 0) / seconds, latency: stats(latencies.map(Math.round)), answers };
};

const describeLegit = (label: string, result: Awaited<ReturnType<typeof legitimate>>) =>
  `${label}: ${result.tokensPerSecond.toFixed(1)} tokens/s, p50 ${result.latency?.p50 ?? "-"} ms, p99 ${
    result.latency?.p99 ?? "-"
  } ms, max ${result.latency?.max ?? "-"} ms, answers ${JSON.stringify(result.answers)}`;

const main = async () => {
  say(
    `baseline ${BASELINE_S} s, flood ${DURATION_S} s, ${ADDRESSES} attacker addresses, ${CONNECTIONS} in flight; ${
      os.cpus().length
    } CPUs, load ${load()}, node ${process.version}`,
  );
  await ensureDatabase(DATABASE_URL);
  if ((await run("npx", ["prisma", "migrate", "deploy"])) !== 0) throw new Error("prisma migrate deploy failed");

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const api = startChild(["api/main.ts"], { API_PORT: String(port), API_HOST: "127.0.0.1" });
  for (
    let tries = 0;
    !(await fetch(`${url}/healthz`).then(
      (res) => res.ok,
      () => false,
    ));
    tries += 1
  ) {
    if (tries > 600) throw new Error("the API server did not come up");
    await sleep(100);
  }
  const apiPid = api.child.pid as number;
  say(`API server up (pid ${apiPid})`);

  // lib/ reads the configuration on first use: imported once the environment is set.
  const { createServiceClient } = await import("../lib/services/clients");
  const { disconnectDb } = await import("../lib/db");
  const system = { kind: "system", name: "bench" } as const;
  const victim = await createServiceClient({ actor: system, input: { name: "legit", scopes: ["access:check"] } });
  const latecomer = await createServiceClient({ actor: system, input: { name: "late", scopes: ["access:check"] } });

  let cpu = cpuSeconds(apiPid);
  let wall = Date.now();
  const cpuSince = () => {
    const used = cpuSeconds(apiPid) - cpu;
    const cores = used / ((Date.now() - wall) / 1000);
    cpu = cpuSeconds(apiPid);
    wall = Date.now();
    return `server CPU ${used.toFixed(1)} s = ${cores.toFixed(2)} cores`;
  };

  const quiet = await legitimate(url, victim, Date.now() + BASELINE_S * 1000);
  const quietCpu = cpuSince();
  say(describeLegit("baseline, no attacker", quiet));
  say(`baseline ${quietCpu}; load ${load()}`);

  const attacker = startChild([
    "lib/testing/flood.ts",
    "attack",
    url,
    String(DURATION_S),
    String(CONNECTIONS),
    String(ADDRESSES),
    victim.clientId,
  ]);
  await sleep(1_000); // let the flood build up before measuring
  const until = Date.now() + (DURATION_S - 2) * 1000;
  const late = (async () => {
    await sleep(((DURATION_S - 2) * 1000) / 2);
    return tokenRequest(url, latecomer);
  })();
  const during = await legitimate(url, victim, until);
  const floodCpu = cpuSince();
  const lateAnswer = await late;
  const loadDuring = load();
  const attackerAnswers = (JSON.parse((await attacker.exited).trim().split("\n").pop() ?? "{}") as {
    answers: Record<string, number>;
    ms: number;
  }) ?? { answers: {}, ms: 0 };
  const attackerTotal = Object.values(attackerAnswers.answers).reduce((sum, count) => sum + count, 0);
  say(describeLegit("during the flood", during));
  say(
    `a client's first token during the flood (secret never seen here): ${lateAnswer.status} in ${Math.round(lateAnswer.ms)} ms`,
  );
  say(
    `attacker: ${attackerTotal} requests in ${(attackerAnswers.ms / 1000).toFixed(1)} s (${(
      attackerTotal /
      (attackerAnswers.ms / 1000)
    ).toFixed(0)}/s), answers ${JSON.stringify(attackerAnswers.answers)}`,
  );
  say(`flood ${floodCpu}; load ${loadDuring}`);
  await disconnectDb();
};

const cleanup = async () => {
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
