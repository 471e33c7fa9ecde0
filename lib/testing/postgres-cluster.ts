/**
 * A private PostgreSQL cluster for tests and benches that need what the shared development
 * cluster does not give: password authentication (scram-sha-256, so `VALID UNTIL` and wrong
 * passwords are enforced) and more connections than its 100. `initdb` into a temporary
 * directory, started on a free loopback port; `stop()` removes it all. Run as root, the server
 * runs as the `postgres` user (PostgreSQL refuses root).
 */
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { freePort } from "./free-port";

const BIN = "/usr/lib/postgresql/15/bin";

export type TPostgresCluster = { superuserUrl: string; port: number; stop: () => void };

export const startPostgresCluster = async (options: { maxConnections?: number } = {}): Promise<TPostgresCluster> => {
  const dir = mkdtempSync(path.join(tmpdir(), "jit-pg-"));
  const password = randomBytes(12).toString("hex");
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : command, asRoot ? ["-u", "postgres", "--", command, ...args] : args, {
      stdio: "ignore",
      cwd: tmpdir(),
    });
  writeFileSync(path.join(dir, "pw"), password);
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
    chownSync(path.join(dir, "pw"), uid, gid);
  }
  run(`${BIN}/initdb`, [
    "-D",
    path.join(dir, "data"),
    "-A",
    "scram-sha-256",
    `--pwfile=${path.join(dir, "pw")}`,
    "-U",
    "postgres",
  ]);
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    `-c max_connections=${options.maxConnections ?? 300}`,
    "-c shared_buffers=32MB",
    "-c fsync=off",
  ].join(" ");
  run(`${BIN}/pg_ctl`, ["-D", path.join(dir, "data"), "-o", settings, "-l", path.join(dir, "log"), "-w", "start"]);
  return {
    superuserUrl: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => {
      try {
        run(`${BIN}/pg_ctl`, ["-D", path.join(dir, "data"), "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
};
