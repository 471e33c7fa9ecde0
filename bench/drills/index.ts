/**
 * `npm run drills`: fault drills against the production build, on throwaway PostgreSQL and
 * Redis servers of their own (never the machine's shared ones). Not part of `npm test`.
 *
 *   npm run drills                      every drill, one fresh stack each
 *   npm run drills -- postgres redis    the named ones (postgres, redis, worker, idp)
 *   npm run drills -- --no-build        reuse the existing build (.next/standalone)
 *
 * Each drill prints a result table; the exit code is 1 when any drill saw a violation
 * (anything lost or doubled, a 500, a hang, no recovery). Logs: bench/results/drills-<time>/.
 * Ports: app 3660, IdP 3661, services API 3662, PostgreSQL 55436, Redis 6396 (DRILL_*_PORT).
 */
import os from "node:os";
import path from "node:path";
import { idpDrill } from "./idp";
import { postgresDrill } from "./postgres";
import { redisDrill } from "./redis";
import { ROOT, startStack, type TStack } from "./stack";
import { workerDrill } from "./worker";

export type TDrillContext = { stack: TStack; say: (line: string) => void };
export type TDrillResult = {
  name: string;
  table: Array<Record<string, string | number>>;
  numbers: Record<string, number | string>;
  violations: string[];
};
type TDrill = { run: (context: TDrillContext) => Promise<TDrillResult>; extraEnv?: NodeJS.ProcessEnv };

const DRILLS: Record<string, TDrill> = {
  postgres: { run: postgresDrill },
  redis: { run: redisDrill },
  worker: { run: workerDrill },
  // Short sessions, so "until their session ends" happens within the drill.
  idp: { run: idpDrill },
};

const argv = process.argv.slice(2);
const names = argv.filter((arg) => !arg.startsWith("--"));
const unknown = names.filter((name) => !(name in DRILLS));
if (unknown.length > 0) {
  console.error(`unknown drill(s): ${unknown.join(", ")}; known: ${Object.keys(DRILLS).join(", ")}`);
  process.exit(2);
}
const selected = names.length > 0 ? names : Object.keys(DRILLS);
let build = !argv.includes("--no-build");

const t0 = Date.now();
const say = (line: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const logRoot = path.join(ROOT, "bench", "results", `drills-${new Date().toISOString().replace(/[:.]/g, "-")}`);

const printTable = (rows: Array<Record<string, string | number>>): void => {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] as Record<string, string | number>);
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => String(row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, index) => cell.padEnd(widths[index] as number)).join(" | ")} |`;
  console.log(line(columns));
  console.log(`|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`);
  for (const row of rows) console.log(line(columns.map((column) => String(row[column] ?? ""))));
};

let cleanups: Array<() => Promise<void> | void> = [];
const runCleanups = async (): Promise<void> => {
  const pending = cleanups.reverse();
  cleanups = [];
  for (const cleanup of pending)
    await Promise.resolve(cleanup()).catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
};

const runOne = async (name: string): Promise<TDrillResult> => {
  const drill = DRILLS[name] as TDrill;
  cleanups = [];
  const load = os.loadavg();
  say(`== drill ${name} (load average ${load.map((value) => value.toFixed(2)).join(" ")})`);
  try {
    const stack = await startStack({
      logDir: path.join(logRoot, name),
      build,
      cleanups,
      say,
      extraEnv: drill.extraEnv,
    });
    build = false;
    const result = await drill.run({ stack, say });
    result.numbers.loadAverageStart = load.map((value) => value.toFixed(2)).join(" ");
    result.numbers.loadAverageEnd = os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(" ");
    return result;
  } catch (error) {
    return {
      name,
      table: [],
      numbers: {},
      violations: [`the drill failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`],
    };
  } finally {
    // The app's modules in this process hold pools to the throwaway servers: close them first.
    const { disconnectDb } = await import("../../lib/db");
    const { closeQueues } = await import("../../lib/queue/producer");
    const { redis } = await import("../../lib/redis");
    await closeQueues().catch(() => undefined);
    await disconnectDb().catch(() => undefined);
    redis().disconnect();
    (globalThis as { jitRedis?: unknown }).jitRedis = undefined;
    await runCleanups();
  }
};

const main = async (): Promise<number> => {
  const results: TDrillResult[] = [];
  for (const name of selected) results.push(await runOne(name));
  console.log("");
  for (const result of results) {
    console.log(`== ${result.name}: ${result.violations.length === 0 ? "PASS" : "FAIL"}`);
    printTable(result.table);
    console.log(
      Object.entries(result.numbers)
        .map(([key, value]) => `${key}=${value}`)
        .join("  "),
    );
    for (const violation of result.violations) console.log(`  VIOLATION: ${violation}`);
    console.log("");
  }
  console.log(`logs: ${path.relative(ROOT, logRoot)}`);
  return results.some((result) => result.violations.length > 0) ? 1 : 0;
};

// Ctrl-C or a kill: the throwaway servers and the children go too.
const interrupted = (signal: NodeJS.Signals) => {
  console.error(`${signal}: removing the throwaway servers and stopping the children`);
  void runCleanups().finally(() => process.exit(130));
};
process.once("SIGINT", interrupted);
process.once("SIGTERM", interrupted);
// Whatever crashes the drill process, the throwaway servers and children still go.
process.once("uncaughtException", (error) => {
  console.error("uncaught:", error);
  void runCleanups().finally(() => process.exit(1));
});

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
