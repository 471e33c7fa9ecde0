/**
 * The whole portal as an operator runs it, against throwaway PostgreSQL and Redis: the
 * production build (`npm start`: the standalone Next server plus the services API on PORT+2),
 * the worker, the e2e IdP, an SMTP sink and a webhook receiver. Every child's output goes to a
 * log file under bench/results/drills-<time>/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { sleep, spawnWorker, startSmtpSink, stopWorker, type TWorkerProcess } from "../support";
import { startPostgres, startRedis, type TPostgres, type TRedisServer } from "./servers";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export const PORTS = {
  app: Number(process.env.DRILL_APP_PORT ?? 3660),
  idp: Number(process.env.DRILL_IDP_PORT ?? 3661),
  // The services API runs on PORT+2 (lib/cli/start.ts via API_PORT in e2e/support/env.ts).
  postgres: Number(process.env.DRILL_PG_PORT ?? 55436),
  redis: Number(process.env.DRILL_REDIS_PORT ?? 6396),
};
export const APP_URL = `http://localhost:${PORTS.app}`;
export const API_URL = `http://127.0.0.1:${PORTS.app + 2}`;
export const IDP_URL = `http://localhost:${PORTS.idp}`;
export const REDIS_PREFIX = "jit-drill";
const DATABASE = "jit_drill";

export type TChild = { name: string; child: ChildProcess; exited: Promise<void> };

export type TStack = {
  postgres: TPostgres;
  redis: TRedisServer;
  /** E-mails the portal sent, by "recipient | subject". */
  emails: Map<string, number>;
  /** Their distinct Message-IDs, by "recipient | subject". */
  emailIds: Map<string, Set<string>>;
  env: NodeJS.ProcessEnv;
  logDir: string;
  app: TChild;
  idp: TChild;
  worker: () => TWorkerProcess;
  restartWorker: (label: string) => Promise<TWorkerProcess>;
  stopIdp: () => Promise<void>;
  startIdp: () => Promise<void>;
  stop: () => Promise<void>;
};

const startProcess = (name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): TChild => {
  const log = createWriteStream(path.join(logDir, `${name}.log`), { flags: "a" });
  log.write(`\n===== ${new Date().toISOString()} start\n`);
  // detached: its own process group, so stopping it also stops what it started (web + api).
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      log.write(`===== ${new Date().toISOString()} exit code=${code} signal=${signal}\n`);
      resolve();
    }),
  );
  return { name, child, exited };
};

const stopProcess = async (entry: TChild): Promise<void> => {
  if (entry.child.exitCode !== null || entry.child.signalCode !== null || entry.child.pid === undefined) return;
  const group = -entry.child.pid;
  try {
    process.kill(group, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(group, "SIGKILL");
    } catch {
      // gone
    }
  }, 15_000);
  await entry.exited;
  clearTimeout(timer);
};

export const waitFor = async (what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
};

const runToEnd = (
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logDir: string,
  name: string,
): Promise<number> =>
  new Promise((resolve) => {
    const log = createWriteStream(path.join(logDir, `${name}.log`), { flags: "a" });
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

/**
 * Starts everything; `cleanup` is registered before each server starts, so a failure halfway
 * still removes what was started. `extraEnv` reaches the app, the worker and the drill process.
 */
export const startStack = async (options: {
  logDir: string;
  build: boolean;
  cleanups: Array<() => Promise<void> | void>;
  say: (line: string) => void;
  extraEnv?: NodeJS.ProcessEnv;
}): Promise<TStack> => {
  const { logDir, say, cleanups } = options;
  mkdirSync(logDir, { recursive: true });
  // e2e/support/env.ts's setup on the drill's ports; the IdP child reads E2E_*_PORT itself.
  const { appEnvFor } = await import("../../e2e/support/env");
  const appEnv = (): Record<string, string> => ({
    ...appEnvFor(PORTS),
    E2E_APP_PORT: String(PORTS.app),
    E2E_IDP_PORT: String(PORTS.idp),
  });

  if (options.build || !existsSync(path.join(ROOT, ".next", "standalone", "server.js"))) {
    say("npm run build (once; --no-build reuses it) ...");
    const started = Date.now();
    const code = await runToEnd(
      "npm",
      ["run", "build"],
      { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
      logDir,
      "build",
    );
    if (code !== 0) throw new Error(`npm run build failed (see ${path.join(logDir, "build.log")})`);
    say(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }

  const postgres = await startPostgres(PORTS.postgres);
  cleanups.push(() => postgres.destroy());
  say(`throwaway PostgreSQL on 127.0.0.1:${PORTS.postgres}`);
  const redis = await startRedis(PORTS.redis);
  cleanups.push(() => redis.destroy());
  say(`throwaway Redis on 127.0.0.1:${PORTS.redis}`);
  const smtp = await startSmtpSink();
  cleanups.push(() => smtp.close());

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...appEnv(),
    DATABASE_URL: postgres.url(DATABASE),
    REDIS_URL: redis.url,
    REDIS_PREFIX,
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    LOG_LEVEL: "info",
    ...options.extraEnv,
  };
  // The drill process itself uses lib/ (seeding, fixtures, counting) with the same settings.
  Object.assign(process.env, env);

  const { ensureDatabase } = await import("../../lib/db/ensure-database");
  await ensureDatabase(env.DATABASE_URL as string);
  if ((await runToEnd("npx", ["prisma", "migrate", "deploy"], env, logDir, "migrate")) !== 0)
    throw new Error("prisma migrate deploy failed (see migrate.log)");
  const { seedDemoData } = await import("../../prisma/seed");
  await seedDemoData();
  say("migrated and seeded");

  let idp = startProcess("idp", ["--import", "tsx", "e2e/support/idp-server.ts"], env, logDir);
  cleanups.push(() => stopProcess(idp));
  const idpUp = () =>
    waitFor("IdP", async () => (await fetch(`${IDP_URL}/.well-known/openid-configuration`)).ok, 30_000);
  await idpUp();
  const app = startProcess("app", ["--import", "tsx", "lib/cli/start.ts"], env, logDir);
  cleanups.push(() => stopProcess(app));
  let worker = spawnWorker({ cwd: ROOT, env, logFile: path.join(logDir, "worker.log"), label: "initial" });
  cleanups.push(() => stopWorker(worker));
  await waitFor("app /api/health", async () => (await fetch(`${APP_URL}/api/health`)).ok, 90_000);
  await waitFor("services API /healthz", async () => (await fetch(`${API_URL}/healthz`)).ok, 60_000);
  await worker.up;
  say(`app ${APP_URL}, services API ${API_URL}, IdP ${IDP_URL}, worker ${worker.pid} up`);

  return {
    postgres,
    redis,
    emails: smtp.messages,
    emailIds: smtp.messageIds,
    env,
    logDir,
    app,
    get idp() {
      return idp;
    },
    worker: () => worker,
    restartWorker: async (label) => {
      worker = spawnWorker({ cwd: ROOT, env, logFile: path.join(logDir, "worker.log"), label });
      cleanups.push(() => stopWorker(worker));
      await worker.up;
      return worker;
    },
    stopIdp: () => stopProcess(idp),
    startIdp: async () => {
      idp = startProcess("idp", ["--import", "tsx", "e2e/support/idp-server.ts"], env, logDir);
      cleanups.push(() => stopProcess(idp));
      await idpUp();
    },
    stop: async () => {
      await stopWorker(worker);
      await stopProcess(app);
      await stopProcess(idp);
    },
  };
};
