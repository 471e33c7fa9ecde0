/**
 * Throwaway servers for the fault drills. The machine's PostgreSQL (5432) and Redis (6379) are
 * shared with other test runs and CI: the drills never touch them. They start a PostgreSQL
 * cluster of their own in a temporary directory (run as the `postgres` OS user, because initdb
 * refuses root) and a redis-server, both on spare ports, and remove both at the end.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sleep } from "../support";

const PG_BIN = process.env.DRILL_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** Runs a command as the postgres OS user when we are root (initdb and postgres refuse root). */
const asPostgres = (command: string, args: string[]): { command: string; args: string[] } =>
  process.getuid?.() === 0
    ? { command: "runuser", args: ["-u", "postgres", "--", command, ...args] }
    : { command, args };

const run = (command: string, args: string[]): { code: number; output: string } => {
  const wrapped = asPostgres(command, args);
  const result = spawnSync(wrapped.command, wrapped.args, { encoding: "utf8", timeout: 120_000 });
  return { code: result.status ?? 1, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
};

export type TPostgres = {
  port: number;
  url: (database: string) => string;
  /** `pg_ctl stop -m fast`: connections are terminated, as in a restart or a failover. */
  stop: () => Promise<void>;
  start: () => Promise<void>;
  /** Stop and delete the cluster's directory; safe to call twice. */
  destroy: () => void;
};

export const startPostgres = async (port: number): Promise<TPostgres> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "jit-drill-pg-"));
  const data = path.join(dir, "data");
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const init = run(path.join(PG_BIN, "initdb"), [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  if (init.code !== 0) throw new Error(`initdb failed:\n${init.output}`);
  const ctl = (args: string[]) => run(path.join(PG_BIN, "pg_ctl"), ["-D", data, ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  let destroyed = false;
  const start = async (): Promise<void> => {
    const result = ctl(["-o", options, "-l", path.join(dir, "server.log"), "-w", "-t", "60", "start"]);
    if (result.code !== 0) throw new Error(`pg_ctl start failed:\n${result.output}`);
  };
  const stop = async (): Promise<void> => {
    const result = ctl(["-m", "fast", "-w", "-t", "60", "stop"]);
    if (result.code !== 0) throw new Error(`pg_ctl stop failed:\n${result.output}`);
  };
  await start();
  return {
    port,
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      ctl(["-m", "immediate", "-w", "-t", "30", "stop"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

export type TRedisServer = { port: number; url: string; child: ChildProcess; destroy: () => Promise<void> };

export const startRedis = async (port: number): Promise<TRedisServer> => {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const { Redis } = await import("ioredis");
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
    const probe = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on("error", () => undefined);
    const ok = await probe
      .connect()
      .then(() => probe.ping())
      .then(
        () => true,
        () => false,
      );
    probe.disconnect();
    if (ok) break;
    if (attempt > 50) throw new Error(`redis-server did not answer on ${port}: ${stderr}`);
    await sleep(100);
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    child,
    destroy: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
};
