/**
 * `npm run bench:load`: many people using the production build at once, then proof that
 * nothing they were told happened was lost or doubled.
 *
 *   npm run bench:load                                  200 users for 60 s (builds first)
 *   npm run bench:load -- --users 40 --duration 15 --no-build
 *
 * Options (`--name value` or `--name=value`): --users N (200: 60 % engineers, 30 % approvers,
 * 10 % service clients), --duration S (60), --no-build (reuse the last `npm run build`),
 * --think-ms N (1000: an engineer's pause between requests; approvers pause half, services a
 * quarter of it, each randomised ±50 %), --resources N (40 per policy kind), --deny-rate F
 * (0.1), --ramp S (10: people start at random instants within the first S seconds, as they
 * would not all click at once; the measurements include the ramp), --drain-timeout S (120), --port N (3500: the portal; the IdP is N+1, the services API
 * N+2), --keep (keep the database and Redis keys), --json FILE, --inject-faults (a self-test of
 * the proof: after the drain, pretend a client got an id the database lacks, delete one
 * approver's notice and copy one grant's outbox row; the report must show 2 lost, 1 doubled),
 * --cpu-profile (diagnostic: a V8 CPU profile of every server process, in
 * bench/results/profiles/; summarise one with `node bench/profile-top.mjs FILE`), --query-stats
 * (diagnostic: SQL statements and Redis commands per operation, in bench/results/query-stats/).
 *
 * What runs, as an operator runs it: `npm run build`, then `npm start` (the standalone Next.js
 * server and the services API on PORT+2) with NODE_ENV=production, the worker
 * (workers/index.ts), the development IdP as an external OIDC issuer that knows every simulated
 * person, an SMTP sink and a webhook receiver. A database `jit_load_<id>` and a Redis prefix
 * `jit-load-<id>` of its own, removed at the end (like lib/cli/test.ts).
 *
 * Who does what: every person signs in through the IdP over HTTP (next-auth's OIDC redirects,
 * the IdP's login form) with a cookie jar of their own; approvers register a passkey held by a
 * software authenticator (lib/testing/software-authenticator.ts). During the run engineers open
 * a request form and submit it (`requestAccessAction`) under one of three policy kinds (auto-
 * approved, one approval, two approvals with a ticket), and now and then their home page;
 * approvers read their inbox (/approvals) and decide a request in it with passkey step-up
 * (`startDecisionAction`, then `decideRequestAction` with the assertion), one in ten a denial;
 * service clients take a token and ask /api/v1/access/check. Server actions are posted as React
 * posts them (bench/load-client.ts).
 *
 * Then the workers drain (bounded wait) and bench/load-verify.ts checks every request a client
 * got an id for. Exit code 1 when anything was lost or doubled or the audit chain does not
 * verify, 3 when nothing was lost but clients saw unexpected errors, 2 on bad arguments.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { ensureDatabase } from "../lib/db/ensure-database";
import { readServerActions, type TServerAction } from "../lib/testing/server-action-wire";
import { createHttpUser, HttpStatusError, type THttpUser } from "./load-client";
import type { TDecided, TPolicyKind, TSubmitted } from "./load-verify";
import {
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

// ---- options ---------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string, fallback: string): string => {
  const index = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (index < 0) return fallback;
  const arg = argv[index] as string;
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : (argv[index + 1] ?? fallback);
};
const USERS = Number(option("users", "200"));
const DURATION_S = Number(option("duration", "60"));
const THINK_MS = Number(option("think-ms", "1000"));
const RESOURCES = Number(option("resources", "40"));
const DENY_RATE = Number(option("deny-rate", "0.1"));
const DRAIN_TIMEOUT_S = Number(option("drain-timeout", "120"));
const APP_PORT = Number(option("port", "3500"));
const RAMP_S = Number(option("ramp", "10"));
const BUILD = !flag("no-build");
const KEEP = flag("keep");
/** Self-test of the proof: break three things on purpose before verifying; it must find each. */
const INJECT = flag("inject-faults");
const CPU_PROFILE = flag("cpu-profile");
const QUERY_STATS = flag("query-stats");
if (
  !(USERS >= 10) ||
  !(DURATION_S > 0) ||
  !(THINK_MS >= 0) ||
  !(RESOURCES > 0) ||
  !(DENY_RATE >= 0 && DENY_RATE <= 1) ||
  !(DRAIN_TIMEOUT_S > 0) ||
  !(APP_PORT > 0) ||
  !(RAMP_S >= 0 && RAMP_S < DURATION_S)
) {
  console.error(
    "usage: npm run bench:load -- [--users N>=10] [--duration S] [--no-build] [--think-ms N] [--resources N] [--deny-rate F] [--drain-timeout S] [--ramp S] [--port N] [--keep] [--json FILE] [--inject-faults]",
  );
  process.exit(2);
}
const APPROVERS = Math.max(4, Math.round(USERS * 0.3));
const SERVICES = Math.max(1, Math.round(USERS * 0.1));
const ENGINEERS = USERS - APPROVERS - SERVICES;
// Teams of about six approvers; each resource belongs to one team, whose members are notified.
const TEAMS = Math.max(2, Math.round(APPROVERS / 6));

// ---- the isolated environment ----------------------------------------------------------------
const runId = `${process.pid}_${randomBytes(4).toString("hex")}`;
const base = new URL(
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
);
base.pathname = `/jit_load_${runId}`;
const DATABASE_URL = base.toString();
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_PREFIX = `jit-load-${runId}`;
const APP_URL = `http://localhost:${APP_PORT}`;
const IDP_PORT = APP_PORT + 1;
const API_PORT = APP_PORT + 2;
const IDP_URL = `http://localhost:${IDP_PORT}`;
const CLIENT_ID = "jit-portal-load";
const CLIENT_SECRET = `load-client-secret-${randomBytes(12).toString("hex")}`;
const AUTH_SECRET = `load-auth-secret-${randomBytes(24).toString("hex")}`;
// One secret per purpose (ADR 0033), the same for this process (which seals the endpoints'
// secrets) and the app and worker (which open them).
const ENCRYPTION_SECRETS = {
  WEBHOOK_ENCRYPTION_SECRET: randomBytes(32).toString("base64"),
  SIGNING_KEY_ENCRYPTION_SECRET: randomBytes(32).toString("base64"),
  CONNECTOR_ENCRYPTION_SECRET: randomBytes(32).toString("base64"),
};
// The webhook receiver listens on loopback: allowed by name, as an operator would (ADR 0032).
const OUTBOUND_ALLOWED_HOSTS = "127.0.0.0/8";
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
mkdirSync(RESULTS, { recursive: true });
const LOG = path.join(RESULTS, `load-${stamp}.log`);
const JSON_OUT = option("json", path.join(RESULTS, `load-${stamp}.json`));

// The bench process itself (seeding, verification) uses the development configuration with the
// app's secrets, whatever the shell exports; the app and the worker get production's.
for (const name of [
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
  "METRICS_TOKEN",
  "LOG_LEVEL",
  "OUTBOUND_ALLOWED_HOSTS",
])
  delete process.env[name];
Object.assign(process.env, {
  NODE_ENV: "development",
  DATABASE_URL,
  REDIS_URL,
  REDIS_PREFIX,
  APP_URL,
  AUTH_SECRET,
  ...ENCRYPTION_SECRETS,
  OUTBOUND_ALLOWED_HOSTS,
  ADMIN_GROUPS: "load-admins",
  SECURITY_GROUPS: "load-security",
  LOG_LEVEL: "silent",
  NEXT_TELEMETRY_DISABLED: "1",
});

const t0 = Date.now();
const say = (message: string): void =>
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const log = createWriteStream(LOG, { flags: "a" });

const run = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const waitForHttp = async (url: string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer within ${timeoutMs / 1000} s (see ${path.relative(ROOT, LOG)})`);
    await sleep(250);
  }
};

// ---- measurements ------------------------------------------------------------------------------
type TOp = { latencies: number[]; ok: number; refused: Map<string, number>; errors: Map<string, number> };
const ops = new Map<string, TOp>();
const opOf = (name: string): TOp => {
  let op = ops.get(name);
  if (!op) {
    op = { latencies: [], ok: 0, refused: new Map(), errors: new Map() };
    ops.set(name, op);
  }
  return op;
};
const tally = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);

/** An expected refusal (another approver was faster): counted apart from errors. */
class Refusal extends Error {}

const errorKind = (error: unknown): string => {
  if (error instanceof HttpStatusError) return `HTTP ${error.status}`;
  if (error instanceof Error)
    return `${error.name}: ${(error.cause instanceof Error ? error.cause.message : error.message).slice(0, 100)}`;
  return String(error).slice(0, 100);
};

/** Times `work` as operation `name`; a Refusal is counted as refused, anything thrown as an error. */
const measure = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
  const op = opOf(name);
  const started = performance.now();
  try {
    const value = await work();
    op.latencies.push(performance.now() - started);
    op.ok += 1;
    return value;
  } catch (error) {
    op.latencies.push(performance.now() - started);
    if (error instanceof Refusal) tally(op.refused, error.message);
    else tally(op.errors, errorKind(error));
    return undefined;
  }
};

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN when gone. */
const cpuSeconds = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
};

/** The processes whose CPU the report shows: `npm start`'s web and API children, the worker, this one. */
const serverProcesses = (appPid: number, workerPid: number): Array<{ name: string; pid: number }> => {
  const childrenOf = (pid: number): number[] => {
    try {
      return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
        .trim()
        .split("\n")
        .map(Number)
        .filter((child) => child > 0);
    } catch {
      return []; // no pgrep, or no children: the report goes without
    }
  };
  const named = childrenOf(appPid).flatMap((pid) => {
    let command = "";
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      // exited
    }
    if (command.includes("api/main.ts")) return [{ name: "services API", pid }];
    // WEB_CONCURRENCY > 1: the web child is the cluster's primary, its children the copies.
    const copies = command.includes("web-cluster.mjs") ? childrenOf(pid) : [];
    // The standalone server renames itself (process.title "next-server"): the other child.
    return copies.length > 0
      ? copies.map((copy, index) => ({ name: `web (Next.js) copy ${index + 1}`, pid: copy }))
      : [{ name: "web (Next.js)", pid }];
  });
  return [...named, { name: "worker", pid: workerPid }, { name: "bench + IdP", pid: process.pid }];
};

/** Lines matching `pattern`, counted by its first group that matched, most frequent first. */
const countLines = (text: string, pattern: RegExp): Array<[string, number]> => {
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    const found = pattern
      .exec(line)
      ?.slice(1)
      .find((group) => group !== undefined);
    if (found) tally(counts, found.trim());
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10);
};

const jitter = (ms: number): number => ms * (0.5 + Math.random());
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

type TPerson = { sub: string; email: string; name: string; groups: string[]; description: string };

const main = async (): Promise<number> => {
  const loadStart = os.loadavg();
  say(
    `users=${USERS} (${ENGINEERS} engineers, ${APPROVERS} approvers in ${TEAMS} teams, ${SERVICES} service clients) duration=${DURATION_S} s ramp=${RAMP_S} s think=${THINK_MS} ms; ${os.cpus().length} CPUs, load ${loadStart.map((v) => v.toFixed(2)).join(" ")}, node ${process.version}`,
  );
  say(
    `database ${DATABASE_URL}, redis prefix ${REDIS_PREFIX}, portal ${APP_URL}, IdP ${IDP_URL}, API :${API_PORT}; logs ${path.relative(ROOT, LOG)}`,
  );

  if (BUILD) {
    say("npm run build ...");
    // As an operator builds: production mode (the bench's own development setting would break
    // the prerender of Next's error pages).
    if ((await run("npm", ["run", "build"], { ...process.env, NODE_ENV: "production" })) !== 0)
      throw new Error(`npm run build failed (see ${path.relative(ROOT, LOG)})`);
    say("built");
  } else if (!existsSync(path.join(ROOT, ".next", "standalone", "server.js"))) {
    throw new Error("--no-build, but there is no build: run `npm run build` first");
  }
  const actions = readServerActions();
  const actionOf = (key: string): TServerAction => {
    const found = actions.find((candidate) => candidate.key === key);
    if (!found) throw new Error(`no server action ${key} in the build`);
    return found;
  };
  const REQUEST_ACTION = actionOf("app/(portal)/request/[resourceKey]/actions.ts#requestAccessAction");
  const START_DECISION = actionOf("app/(portal)/requests/[id]/actions.ts#startDecisionAction");
  const DECIDE = actionOf("app/(portal)/requests/[id]/actions.ts#decideRequestAction");
  const START_ADD_PASSKEY = actionOf("app/(portal)/passkeys/actions.ts#startAddPasskeyAction");
  const FINISH_ADD_PASSKEY = actionOf("app/(portal)/passkeys/actions.ts#finishAddPasskeyAction");

  await ensureDatabase(DATABASE_URL);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const children: ChildProcess[] = [];
  let worker: TWorkerProcess | undefined;
  let closeIdp: () => Promise<void> = async () => undefined;
  const smtp = await startSmtpSink();
  // The receiver accepts a delivery only with a valid signature from one of the endpoints (set
  // once they exist).
  let verifyDelivery: Parameters<typeof startReceiver>[0] = () => ({ ok: false, reason: "no endpoints yet" });
  const receiver = await startReceiver((headers, body) => verifyDelivery(headers, body));
  let closeApp: () => Promise<void> = async () => undefined;
  try {
    if ((await run("npx", ["prisma", "migrate", "deploy"])) !== 0)
      throw new Error("prisma migrate deploy failed on the bench database");
    say("migrated");

    // App modules only now (their configuration is read on first use).
    const { db, disconnectDb } = await import("../lib/db");
    const { createActor } = await import("../lib/testing/fixtures");
    const { createEndpoint, verifyWebhook } = await import("../lib/webhooks");
    const { createServiceClient } = await import("../lib/services/clients");
    const { createSoftwareAuthenticator } = await import("../lib/testing/software-authenticator");
    const { startDevIdp } = await import("../lib/dev-idp/server");
    const { sumCheckAudit, verifyNothingLost } = await import("./load-verify");
    const { closeQueues } = await import("../lib/queue/producer");
    closeApp = async () => {
      await closeQueues();
      await disconnectDb();
    };

    // ---- people, resources, policies, endpoints, service clients ----------------------------
    const person = (role: string, index: number, groups: string[]): TPerson => ({
      sub: `load-${role}-${index}`,
      email: `load-${role}-${index}@example.com`,
      name: `Load ${role} ${index}`,
      groups,
      description: `Simulated ${role} of the load bench.`,
    });
    const engineers = Array.from({ length: ENGINEERS }, (_, i) => person("engineer", i + 1, ["load-engineers"]));
    const approvers = Array.from({ length: APPROVERS }, (_, i) =>
      person("approver", i + 1, ["load-approvers", `load-team-${i % TEAMS}`]),
    );
    const teamSize = (team: number): number =>
      approvers.filter((approver) => approver.groups.includes(`load-team-${team}`)).length;

    const KINDS: readonly TPolicyKind[] = ["auto", "one", "two"];
    const resourceKey = (kind: TPolicyKind, index: number): string => `load-${kind}-${index}`;
    const teamOfResource = (index: number): number => index % TEAMS;
    const policyIds = new Map<string, string>();
    for (const kind of KINDS) {
      for (let index = 0; index < RESOURCES; index += 1) {
        const resource = await db.resource.create({
          data: {
            key: resourceKey(kind, index),
            name: `Load ${kind} ${index}`,
            environment: "staging",
            permissions: ["read", "write"],
          },
        });
        const policy = await db.accessPolicy.create({
          data: {
            resourceId: resource.id,
            name: kind,
            permissions: ["read", "write"],
            requesterGroups: ["load-engineers"],
            approverGroups: [`load-team-${teamOfResource(index)}`],
            approvalsRequired: kind === "two" ? 2 : 1,
            defaultDurationMinutes: 30,
            maxDurationMinutes: 240,
            ticketRequired: kind === "two",
            ticketPattern: kind === "two" ? "^INC-[0-9]+$" : null,
            autoApproveGroups: kind === "auto" ? ["load-engineers"] : [],
            autoApprovePermissions: kind === "auto" ? ["read"] : [],
          },
        });
        policyIds.set(resource.key, policy.id);
      }
    }
    // One provisioning endpoint per resource (created by an administrator, in the development
    // configuration that allows http to the local receiver): every grant owes two webhooks.
    const admin = await createActor({ groups: ["load-admins"] });
    const secrets: string[] = [];
    for (const kind of KINDS) {
      for (let index = 0; index < RESOURCES; index += 1) {
        const endpoint = await createEndpoint({
          actor: admin,
          resourceKey: resourceKey(kind, index),
          url: `http://127.0.0.1:${receiver.port}/hook`,
          events: ["grant.activated", "grant.expired"],
        });
        secrets.push(endpoint.secret);
      }
    }
    verifyDelivery = (headers, body) => {
      for (const secret of secrets) {
        const result = verifyWebhook({
          secret,
          headers: headers as Record<string, string | string[] | undefined>,
          body,
        });
        if (result.ok) return { ok: true, id: result.id };
      }
      return { ok: false, reason: "no endpoint's secret verifies the signature" };
    };
    const services = await Promise.all(
      Array.from({ length: SERVICES }, (_, i) =>
        createServiceClient({
          actor: { kind: "system", name: "bench-load" },
          input: { name: `load-service-${i + 1}`, scopes: ["access:check"] },
        }),
      ),
    );
    say(
      `seeded ${KINDS.length * RESOURCES} resources with policies (auto, 1 approval, 2 approvals + ticket), ${KINDS.length * RESOURCES} webhook endpoints, ${SERVICES} service clients`,
    );

    // ---- the IdP, the app, the worker ------------------------------------------------------
    const idp = await startDevIdp({
      port: IDP_PORT,
      clients: [
        { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${APP_URL}/api/auth/callback/oidc`] },
      ],
      users: [...engineers, ...approvers],
    });
    closeIdp = idp.close;
    const appEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(APP_PORT),
      API_PORT: String(API_PORT),
      APP_URL,
      AUTH_SECRET,
      ...ENCRYPTION_SECRETS,
      OUTBOUND_ALLOWED_HOSTS,
      OIDC_ISSUER: IDP_URL,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      // Production needs both (ADR 0028); a fresh key and a file of this run's own.
      AUDIT_ANCHOR_KEY: randomBytes(32).toString("base64"),
      AUDIT_ANCHOR_SINK: `file:${path.join(os.tmpdir(), `jit-bench-anchors-${process.pid}.jsonl`)}`,
      LOG_LEVEL: "info",
      // Generous limits: the bench measures throughput, not the limiter. API_RATE_LIMIT is the
      // services API's per-client limit; the others are per person and per IP (every simulated
      // person comes from 127.0.0.1), ADR 0019.
      API_RATE_LIMIT: "100000000",
      SIGN_IN_RATE_LIMIT_IP: "100000000",
      SIGN_IN_RATE_LIMIT_ACCOUNT: "100000000",
      STEP_UP_RATE_LIMIT_USER: "100000000",
      STEP_UP_RATE_LIMIT_IP: "100000000",
      REQUEST_RATE_LIMIT_USER: "100000000",
      REQUEST_RATE_LIMIT_IP: "100000000",
      // Aggregated check audit flushed every second, so the drain sees every check's count.
      API_AUDIT_WINDOW_SECONDS: "1",
      // Diagnostics: every node process of the portal (web, API, worker) writes its CPU profile
      // and its round-trip counts when it exits.
      ...(CPU_PROFILE || QUERY_STATS
        ? {
            NODE_OPTIONS: [
              ...(CPU_PROFILE ? [`--import ${path.join(ROOT, "bench", "cpu-profile.mjs")}`] : []),
              ...(QUERY_STATS ? [`--import ${path.join(ROOT, "bench", "query-stats.mjs")}`] : []),
            ].join(" "),
            BENCH_PROFILE_DIR: CPU_PROFILE ? path.join(RESULTS, "profiles") : undefined,
            BENCH_QUERY_STATS: QUERY_STATS ? path.join(RESULTS, "query-stats") : undefined,
          }
        : {}),
    };
    const app = spawn(process.execPath, ["--import", "tsx", "lib/cli/start.ts"], {
      cwd: ROOT,
      env: appEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    app.stdout.pipe(log, { end: false });
    app.stderr.pipe(log, { end: false });
    children.push(app);
    worker = spawnWorker({
      cwd: ROOT,
      env: appEnv,
      logFile: `${LOG.replace(/\.log$/, "")}-worker.log`,
      label: "load worker",
    });
    await Promise.all([
      waitForHttp(`${APP_URL}/api/health`, 120_000),
      waitForHttp(`http://127.0.0.1:${API_PORT}/healthz`, 120_000),
      worker.up,
    ]);
    say(`portal (pid ${app.pid}), services API and worker (pid ${worker.pid}) up`);

    // ---- sign-in and passkeys (before the clock starts) -------------------------------------
    const userAgent =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 jit-load-bench";
    const sessions = new Map<string, THttpUser>();
    const authenticators = new Map<string, ReturnType<typeof createSoftwareAuthenticator>>();
    const people = [...engineers, ...approvers];
    let nextPerson = 0;
    const setupStarted = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (nextPerson < people.length) {
          const who = people[nextPerson++] as TPerson;
          const user = createHttpUser({ appUrl: APP_URL, userAgent });
          await measure("setup: sign-in (OIDC)", () => user.signIn(who.sub));
          sessions.set(who.sub, user);
          if (!who.groups.includes("load-approvers")) continue;
          const authenticator = createSoftwareAuthenticator({
            origin: new URL(APP_URL).origin,
            rpId: new URL(APP_URL).hostname,
          });
          authenticators.set(who.sub, authenticator);
          await measure("setup: passkey registration", async () => {
            const started = await user.action(START_ADD_PASSKEY, [], "/passkeys");
            const options = started.result as {
              ok: boolean;
              registration?: Parameters<typeof authenticator.register>[0];
              message?: string;
            };
            if (!options?.ok || !options.registration)
              throw new Error(`startAddPasskeyAction: ${options?.message ?? `HTTP ${started.status}`}`);
            const finished = await user.action(
              FINISH_ADD_PASSKEY,
              [{ name: "load key", response: authenticator.register(options.registration) }],
              "/passkeys",
            );
            const result = finished.result as { ok: boolean; message?: string } | undefined;
            if (!result?.ok) throw new Error(`finishAddPasskeyAction: ${result?.message ?? `HTTP ${finished.status}`}`);
          });
        }
      }),
    );
    const setupErrors = [...ops.entries()]
      .filter(([name]) => name.startsWith("setup:"))
      .reduce((sum, [, op]) => sum + [...op.errors.values()].reduce((a, b) => a + b, 0), 0);
    say(
      `${sessions.size} people signed in through the IdP, ${authenticators.size} passkeys registered, in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s${setupErrors > 0 ? `; ${setupErrors} setup errors` : ""}`,
    );
    if (setupErrors > 0)
      throw new Error(
        `setup failed: ${JSON.stringify(Object.fromEntries([...ops].map(([name, op]) => [name, Object.fromEntries(op.errors)])))}`,
      );

    // ---- the run ------------------------------------------------------------------------------
    const submitted: TSubmitted[] = [];
    const decided: TDecided[] = [];
    const kindOfRequest = new Map<string, { kind: TPolicyKind; team: number }>();
    const loadSamples: number[] = [];
    const runStarted = Date.now();
    const runEnds = runStarted + DURATION_S * 1000;
    const sampler = setInterval(() => loadSamples.push(os.loadavg()[0] as number), 5_000);
    const watched = serverProcesses(app.pid ?? -1, worker.pid);
    const cpuAtStart = watched.map((entry) => cpuSeconds(entry.pid));
    let checksAllowed = 0;
    const tokenIds: string[] = [];
    // What services ask about: half the time someone who just asked for that access (often
    // granted), otherwise anyone on any resource (mostly not).
    const askedFor: Array<{ email: string; key: string }> = [];

    const engineerLoop = async (who: TPerson): Promise<void> => {
      const user = sessions.get(who.sub) as THttpUser;
      // Each (resource, permission) once per person: a second pending request or a live grant
      // for the same permission is refused by design, and grants outlive the run.
      const slots = KINDS.flatMap((kind) => Array.from({ length: RESOURCES }, (_, index) => ({ kind, index })));
      for (let i = slots.length - 1; i > 0; i -= 1) {
        const j = Math.floor(Math.random() * (i + 1));
        [slots[i], slots[j]] = [slots[j] as (typeof slots)[number], slots[i] as (typeof slots)[number]];
      }
      await sleep(Math.random() * RAMP_S * 1000);
      let iteration = 0;
      while (Date.now() < runEnds) {
        const slot = slots.pop();
        if (!slot) break;
        const key = resourceKey(slot.kind, slot.index);
        await measure("page: request form", () => user.page(`/request/${key}`));
        const form = new FormData();
        form.append("policyId", policyIds.get(key) as string);
        form.append("permissions", "read");
        form.append("durationMinutes", "30");
        form.append("justification", `Load test ${who.sub} iteration ${iteration}: checking replication lag`);
        if (slot.kind === "two") form.append("ticket", `INC-${1000 + iteration}`);
        form.append("tzOffsetMinutes", "0");
        await measure(
          `action: request (${slot.kind === "auto" ? "auto-approved" : slot.kind === "one" ? "1 approval" : "2 approvals"})`,
          async () => {
            const answer = await user.action(REQUEST_ACTION, [null, form], `/request/${key}`);
            const match = /^\/requests\/([^/?#]+)$/.exec(answer.redirect ?? "");
            if (!match?.[1]) {
              const state = answer.result as { message?: string } | null | undefined;
              throw new Error(
                state?.message ? `refused: ${state.message}` : `no redirect to the request (HTTP ${answer.status})`,
              );
            }
            submitted.push({ requestId: match[1], requesterEmail: who.email, kind: slot.kind });
            kindOfRequest.set(match[1], { kind: slot.kind, team: teamOfResource(slot.index) });
            askedFor.push({ email: who.email, key });
          },
        );
        if (iteration % 3 === 2) await measure("page: home", () => user.page("/"));
        iteration += 1;
        await sleep(jitter(THINK_MS));
      }
    };

    const approverLoop = async (who: TPerson): Promise<void> => {
      const user = sessions.get(who.sub) as THttpUser;
      const authenticator = authenticators.get(who.sub) as ReturnType<typeof createSoftwareAuthenticator>;
      const tried = new Set<string>();
      await sleep(Math.random() * RAMP_S * 1000);
      while (Date.now() < runEnds) {
        const html = await measure("page: approvals inbox", () => user.page("/approvals"));
        const waiting = [
          ...new Set(
            [...(html ?? "").matchAll(/href="\/requests\/([0-9a-f-]{36})"/g)].map((match) => match[1] as string),
          ),
        ].filter((id) => !tried.has(id));
        if (waiting.length === 0) {
          await sleep(jitter(THINK_MS / 2));
          continue;
        }
        // Among the oldest few: approvers overlap on some requests, as a team does.
        const requestId = pick(waiting.slice(0, 5));
        tried.add(requestId);
        const decision = Math.random() < DENY_RATE ? ("DENY" as const) : ("APPROVE" as const);
        const options = await measure("action: start decision (challenge)", async () => {
          const answer = await user.action(START_DECISION, [requestId, decision], `/requests/${requestId}`);
          const result = answer.result as
            { ok: boolean; options?: Parameters<typeof authenticator.assert>[0]; message?: string } | undefined;
          if (result?.ok && result.options) return result.options;
          // Decided by others meanwhile: "already approved/denied", "already decided".
          if (result && !result.ok && /already/i.test(result.message ?? ""))
            throw new Refusal("already decided (race between approvers)");
          throw new Error(result?.message ? `refused: ${result.message}` : `HTTP ${answer.status}`);
        });
        if (options) {
          await measure(`action: decide with passkey (${decision === "APPROVE" ? "approve" : "deny"})`, async () => {
            const input = {
              requestId,
              decision,
              ...(decision === "DENY" ? { comment: "Not during the load test, sorry." } : {}),
              assertion: authenticator.assert(options),
            };
            const answer = await user.action(DECIDE, [input], `/requests/${requestId}`);
            const result = answer.result as { ok: boolean; status?: string; message?: string } | undefined;
            if (result?.ok && result.status) {
              decided.push({ requestId, approverEmail: who.email, decision, status: result.status });
              return;
            }
            if (result && !result.ok && /already/i.test(result.message ?? ""))
              throw new Refusal("already decided (race between approvers)");
            throw new Error(result?.message ? `refused: ${result.message}` : `HTTP ${answer.status}`);
          });
        }
        await sleep(jitter(THINK_MS / 2));
      }
    };

    const serviceLoop = async (client: (typeof services)[number]): Promise<void> => {
      let token: { value: string; at: number } | undefined;
      const api = `http://127.0.0.1:${API_PORT}`;
      await sleep(Math.random() * RAMP_S * 1000);
      while (Date.now() < runEnds) {
        // A fresh token every 20 s: token issuance (scrypt, audited) is part of the mix.
        if (!token || Date.now() - token.at > 20_000) {
          token = await measure("api: token", async () => {
            const response = await fetch(`${api}/api/v1/oauth/token`, {
              method: "POST",
              headers: {
                "content-type": "application/x-www-form-urlencoded",
                authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
              },
              body: "grant_type=client_credentials",
            });
            if (!response.ok) throw new HttpStatusError(response.status, "POST /api/v1/oauth/token");
            const value = ((await response.json()) as { access_token: string }).access_token;
            // The jti, to find the issuance's audit event afterwards.
            tokenIds.push(
              String(
                (JSON.parse(Buffer.from(value.split(".")[1] ?? "", "base64url").toString("utf8")) as { jti?: unknown })
                  .jti,
              ),
            );
            return { value, at: Date.now() };
          });
          if (!token) {
            await sleep(jitter(THINK_MS / 4));
            continue;
          }
        }
        const bearer = token.value;
        await measure("api: access check", async () => {
          const asked =
            askedFor.length > 0 && Math.random() < 0.5
              ? pick(askedFor.slice(-200))
              : { email: pick(engineers).email, key: resourceKey(pick(KINDS), Math.floor(Math.random() * RESOURCES)) };
          const response = await fetch(`${api}/api/v1/access/check`, {
            method: "POST",
            headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
            body: JSON.stringify({ subject: asked.email, resource: asked.key, permission: "read" }),
          });
          if (!response.ok) throw new HttpStatusError(response.status, "POST /api/v1/access/check");
          if (((await response.json()) as { allowed: boolean }).allowed) checksAllowed += 1;
        });
        await sleep(jitter(THINK_MS / 4));
      }
    };

    say(`run: ${DURATION_S} s`);
    const progress = setInterval(
      () =>
        say(`  ${submitted.length} requests, ${decided.length} decisions so far; load ${os.loadavg()[0]?.toFixed(2)}`),
      10_000,
    );
    await Promise.all([...engineers.map(engineerLoop), ...approvers.map(approverLoop), ...services.map(serviceLoop)]);
    clearInterval(progress);
    clearInterval(sampler);
    const runMs = Date.now() - runStarted;
    const cpuCores = watched.map((entry, index) => ({
      name: entry.name,
      cores: (cpuSeconds(entry.pid) - (cpuAtStart[index] as number)) / ((Date.now() - runStarted) / 1000),
    }));
    const loadEnd = os.loadavg();
    say(
      `run over after ${(runMs / 1000).toFixed(1)} s (in-flight operations finished): ${submitted.length} requests, ${decided.length} decisions`,
    );

    // ---- drain: the worker relays the outbox, starts grants, sends e-mail and webhooks ----------
    const drainStarted = Date.now();
    const checksAnswered = opOf("api: access check").ok;
    const pending = async () => {
      const now = new Date();
      const [outbox, emails, activations, webhooks, checksAudited] = await Promise.all([
        db.outboxJob.count({ where: { dispatchedAt: null } }),
        db.notification.count({ where: { channels: { has: "email" }, emailSentAt: null } }),
        db.grant.count({ where: { startsAt: { lte: now }, lifecycleEvents: { none: { kind: "ACTIVATED" } } } }),
        db.webhookDelivery.count({ where: { deliveredAt: null, cancelledAt: null, sendAfter: { lte: now } } }),
        sumCheckAudit(),
      ]);
      return { outbox, emails, activations, webhooks, checkAudit: Math.max(0, checksAnswered - checksAudited) };
    };
    let left = await pending();
    while (Object.values(left).some((count) => count > 0) && Date.now() - drainStarted < DRAIN_TIMEOUT_S * 1000) {
      await sleep(500);
      left = await pending();
    }
    const drainMs = Date.now() - drainStarted;
    const drained = Object.values(left).every((count) => count === 0);
    say(
      drained
        ? `worker drained in ${(drainMs / 1000).toFixed(1)} s`
        : `NOT drained after ${DRAIN_TIMEOUT_S} s: ${JSON.stringify(left)}`,
    );

    if (INJECT) {
      submitted.push({
        requestId: "01a00000-0000-7000-8000-000000000000",
        requesterEmail: (engineers[0] as TPerson).email,
        kind: "one",
      });
      const notice = await db.notification.findFirst({ where: { kind: "request.waiting" }, select: { id: true } });
      if (notice) await db.notification.delete({ where: { id: notice.id } });
      const row = await db.outboxJob.findFirst({ where: { name: "grant.start" } });
      if (row)
        await db.outboxJob.create({
          data: {
            queue: row.queue,
            name: row.name,
            jobId: row.jobId,
            payload: row.payload ?? {},
            runAt: row.runAt,
            dispatchedAt: row.dispatchedAt,
          },
        });
      say(`--inject-faults: 1 unknown request id, ${notice ? 1 : 0} notice deleted, ${row ? 1 : 0} outbox row copied`);
    }

    // ---- proof ----------------------------------------------------------------------------------
    const received = new Map([...receiver.received.values()].map((entry) => [entry.webhookId, entry.accepted]));
    const verification = await verifyNothingLost({
      submitted,
      decided,
      approversToNotify: (requestId) => teamSize(kindOfRequest.get(requestId)?.team ?? -1),
      webhooksReceived: received,
      redis: { url: REDIS_URL, prefix: REDIS_PREFIX },
      tokens: tokenIds,
      checks: { ok: checksAnswered, failed: [...opOf("api: access check").errors.values()].reduce((a, b) => a + b, 0) },
    });
    // The services API must see every grant the database holds: ask it about each active one
    // (its replica follows the change feed; a poll is 1 s at most, so give it 2 s).
    await sleep(2_000);
    const apiView = await measure("verify: API check of every active grant", async () => {
      const client = services[0] as (typeof services)[number];
      const tokenResponse = await fetch(`http://127.0.0.1:${API_PORT}/api/v1/oauth/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
        },
        body: "grant_type=client_credentials",
      });
      if (!tokenResponse.ok) throw new HttpStatusError(tokenResponse.status, "POST /api/v1/oauth/token");
      const bearer = ((await tokenResponse.json()) as { access_token: string }).access_token;
      const now = new Date();
      const active = await db.grant.findMany({
        where: { startsAt: { lte: now }, expiresAt: { gt: new Date(now.getTime() + 60_000) }, revokedAt: null },
        select: {
          id: true,
          permissions: true,
          subject: { select: { email: true } },
          resource: { select: { key: true } },
        },
      });
      const unseen: string[] = [];
      for (const grant of active) {
        const response = await fetch(`http://127.0.0.1:${API_PORT}/api/v1/access/check`, {
          method: "POST",
          headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
          body: JSON.stringify({
            subject: grant.subject.email,
            resource: grant.resource.key,
            permission: grant.permissions[0],
          }),
        });
        const answer = (await response.json()) as { allowed?: boolean; grant?: { id: string } };
        if (!answer.allowed) unseen.push(grant.id);
      }
      return { active: active.length, unseen };
    });
    if (apiView) {
      verification.facts.activeGrantsAskedOfTheApi = apiView.active;
      if (apiView.unseen.length > 0) {
        verification.lost["active grants the services API answers no for"] = apiView.unseen.length;
        verification.examples.push(
          `LOST active grants the services API answers no for: ${apiView.unseen.slice(0, 5).join(", ")}${apiView.unseen.length > 5 ? " ..." : ""}`,
        );
      }
    } else {
      verification.lost["API check of the active grants (could not run)"] = 1;
    }
    const lostTotal = Object.values(verification.lost).reduce((a, b) => a + b, 0);
    const doubledTotal = Object.values(verification.doubled).reduce((a, b) => a + b, 0);

    // ---- report ---------------------------------------------------------------------------------
    const rows = [...ops.entries()]
      .filter(([name]) => !name.startsWith("setup:") && !name.startsWith("verify:"))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, op]) => {
        const s = stats(op.latencies.map((ms) => Math.round(ms)));
        const errors = [...op.errors.values()].reduce((a, b) => a + b, 0);
        const refused = [...op.refused.values()].reduce((a, b) => a + b, 0);
        return {
          name,
          count: op.latencies.length,
          ok: op.ok,
          refused,
          errors,
          perSecond: op.latencies.length / (runMs / 1000),
          latency: s,
          errorKinds: Object.fromEntries(op.errors),
          refusalKinds: Object.fromEntries(op.refused),
        };
      });
    const setupRows = [...ops.entries()]
      .filter(([name]) => name.startsWith("setup:"))
      .map(([name, op]) => ({
        name,
        count: op.latencies.length,
        latency: stats(op.latencies.map((ms) => Math.round(ms))),
      }));
    const totalOps = rows.reduce((sum, row) => sum + row.count, 0);
    const totalErrors = rows.reduce((sum, row) => sum + row.errors, 0);
    const cell = (s: TStats | null, key: "p50" | "p95" | "p99" | "max"): string =>
      (s ? String(s[key]) : "-").padStart(7);

    console.log("");
    console.log(
      `== bench:load  ${USERS} users (${ENGINEERS} engineers, ${APPROVERS} approvers, ${SERVICES} service clients), ${DURATION_S} s (ramp ${RAMP_S} s), think ${THINK_MS} ms`,
    );
    console.log(
      `${"operation".padEnd(44)} ${"count".padStart(6)} ${"ops/s".padStart(7)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"p99".padStart(7)} ${"max".padStart(7)}  refused errors   (ms)`,
    );
    for (const row of rows) {
      console.log(
        `${row.name.padEnd(44)} ${String(row.count).padStart(6)} ${row.perSecond.toFixed(1).padStart(7)} ${cell(row.latency, "p50")} ${cell(row.latency, "p95")} ${cell(row.latency, "p99")} ${cell(row.latency, "max")}  ${String(row.refused).padStart(7)} ${String(row.errors).padStart(6)}`,
      );
    }
    console.log(
      `${"all operations".padEnd(44)} ${String(totalOps).padStart(6)} ${(totalOps / (runMs / 1000)).toFixed(1).padStart(7)}`,
    );
    for (const row of rows) {
      for (const [kind, count] of Object.entries(row.errorKinds))
        console.log(`  error   ${row.name}: ${kind} x${count}`);
      for (const [kind, count] of Object.entries(row.refusalKinds))
        console.log(`  refused ${row.name}: ${kind} x${count} (expected)`);
    }
    for (const row of setupRows)
      console.log(
        `${row.name.padEnd(44)} ${String(row.count).padStart(6)}         ${cell(row.latency, "p50")} ${cell(row.latency, "p95")} ${cell(row.latency, "p99")} ${cell(row.latency, "max")}  (before the run)`,
      );
    console.log(`service checks allowed   ${checksAllowed} of ${opOf("api: access check").ok}`);
    console.log(`requests submitted       ${submitted.length}; decisions confirmed ${decided.length}`);
    console.log(`outcomes                 ${JSON.stringify(verification.facts)}`);
    console.log(
      `e-mails accepted (SMTP)  ${smtp.count()}; webhooks accepted ${receiver.received.size} (invalid signatures ${receiver.invalid.length})`,
    );
    console.log(`drain                    ${drained ? "complete" : "INCOMPLETE"} in ${(drainMs / 1000).toFixed(1)} s`);
    console.log(
      `audit chain              ${verification.chain.ok ? "verifies" : `BROKEN ${verification.chain.break}`} (${verification.chain.checked} events)`,
    );
    console.log(`lost                     ${lostTotal}${lostTotal > 0 ? ` ${JSON.stringify(verification.lost)}` : ""}`);
    console.log(
      `doubled                  ${doubledTotal}${doubledTotal > 0 ? ` ${JSON.stringify(verification.doubled)}` : ""}`,
    );
    for (const example of verification.examples) console.log(`  ${example}`);
    console.log(`client errors            ${totalErrors}`);
    // What the servers said about their 500s: Next.js prints `⨯ Error ...` per failed render or
    // action; Prisma's message may come lines later ("Transaction API error: ...").
    const serverErrors = countLines(
      readFileSync(LOG, "utf8"),
      /⨯ (Error \[\w+\]: \S.{0,120})|Transaction API error: ([^.]{0,120})/,
    );
    for (const [message, count] of serverErrors) console.log(`  server log: ${message} x${count}`);
    console.log(
      `load average             ${loadStart.map((v) => v.toFixed(2)).join(" ")} at start, ${loadEnd.map((v) => v.toFixed(2)).join(" ")} at the end of the run; 1-min samples during it: ${loadSamples.map((v) => v.toFixed(1)).join(" ")}`,
    );
    console.log(
      `CPU during the run       ${cpuCores.map((entry) => `${entry.name} ${entry.cores.toFixed(2)}`).join(", ")} cores, of ${os.cpus().length} shared with everything else on the machine`,
    );
    console.log(`logs                     ${path.relative(ROOT, LOG)}`);

    const summary = {
      users: USERS,
      rampS: RAMP_S,
      engineers: ENGINEERS,
      approvers: APPROVERS,
      teams: TEAMS,
      services: SERVICES,
      durationS: DURATION_S,
      thinkMs: THINK_MS,
      resourcesPerKind: RESOURCES,
      denyRate: DENY_RATE,
      cpus: os.cpus().length,
      node: process.version,
      runMs,
      operations: rows,
      setup: setupRows,
      totalOps,
      totalErrors,
      checksAllowed,
      submitted: submitted.length,
      decisions: decided.length,
      drained,
      drainMs,
      drainLeft: left,
      verification,
      lostTotal,
      doubledTotal,
      emails: smtp.count(),
      webhooks: receiver.received.size,
      invalidWebhookSignatures: receiver.invalid.length,
      loadAverage: { start: loadStart, end: loadEnd, samples: loadSamples },
      cpuCores,
      serverErrors: Object.fromEntries(serverErrors),
      log: path.relative(ROOT, LOG),
    };
    writeFileSync(JSON_OUT, `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`results                  ${path.relative(ROOT, JSON_OUT)}`);
    if (lostTotal > 0 || doubledTotal > 0 || !verification.chain.ok || !drained) return 1;
    return totalErrors > 0 ? 3 : 0;
  } finally {
    if (worker) await stopWorker(worker);
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await new Promise((resolve) => child.once("exit", resolve));
      clearTimeout(timer);
    }
    await closeIdp();
    await closeApp();
    await receiver.close();
    await smtp.close();
    await removeBenchData({ keep: KEEP, databaseUrl: DATABASE_URL, redis: redis, prefix: REDIS_PREFIX });
    redis.disconnect();
    log.end();
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
