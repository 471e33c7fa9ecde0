/**
 * The web server on several cores (WEB_CONCURRENCY): node's cluster module runs that many
 * copies of the standalone Next.js server, sharing one listening port (the primary hands the
 * connections out in turn). Each copy is a whole portal process; sessions, rate limits,
 * metrics and the audit chain live in PostgreSQL and Redis, so any copy serves any request.
 *
 * SIGTERM and SIGINT reach every copy, which drain and flush as a single server does. If a
 * copy exits on its own, the others are stopped and the primary exits with its code: `npm
 * start` (or the orchestrator) sees the failure, rather than a server running at half strength.
 *
 *   node --import <client-ip-hook> lib/cli/web-cluster.mjs <server.js> <copies>
 *
 * Plain JavaScript, like the client-IP hook: it runs beside the standalone server, without tsx.
 */
import cluster from "node:cluster";

const [server, copiesText] = process.argv.slice(2);
const copies = Number(copiesText);
if (!server || !Number.isInteger(copies) || copies < 1) {
  console.error("usage: node lib/cli/web-cluster.mjs <server.js> <copies>");
  process.exit(2);
}

// Each copy runs server.js itself, with this process's node options (the client-IP hook).
cluster.setupPrimary({ exec: server, execArgv: process.execArgv });
let running = 0;
let stopping = false;
let exitCode = 0;

const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
};

cluster.on("exit", (worker, code, signal) => {
  running -= 1;
  if (!stopping) {
    console.error(`web copy ${worker.process.pid} exited (${signal ?? code}): stopping the others`);
    exitCode = code || 1;
    stop("SIGTERM");
  }
  if (running === 0) process.exit(exitCode);
});
process.once("SIGTERM", () => stop("SIGTERM"));
process.once("SIGINT", () => stop("SIGTERM"));

for (let index = 0; index < copies; index += 1) {
  cluster.fork();
  running += 1;
}
