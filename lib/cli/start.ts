/**
 * `npm start`: the production web server (WEB_CONCURRENCY copies of it, by default one per
 * core but one) and, next to it unless API_NEXT_TO_WEB=false, one
 * replica of the services API server (api/main.ts; run more replicas with `npm run api`). Validates configuration first,
 * so a development default (no AUTH_SECRET, the dev IdP, an http origin) stops it with a
 * message naming the variable, then runs the standalone server that `npm run build` wrote
 * (the same one the Docker image runs) on PORT (default 3000), listening on every IPv4
 * interface. If either process exits, the other is stopped.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { auditAnchoringProblems, ConfigError } from "../config";
import { loadConfigOrExplain, PreflightError } from "./preflight";
import { CLIENT_IP_HOOK, ROOT, STANDALONE_DIR, STANDALONE_SERVER, startChild } from "./run";

const WEB_CLUSTER = path.join(ROOT, "lib", "cli", "web-cluster.mjs");

/**
 * One copy per core but one: the services API and the rest of the machine's work need a core
 * too. On 2 cores that is one copy, which measured as fast as two (ADR 0059).
 */
const defaultCopies = (): number => Math.max(1, availableParallelism() - 1);

const webServerArgs = (copies: number): string[] =>
  copies > 1 ? [WEB_CLUSTER, STANDALONE_SERVER, String(copies)] : [STANDALONE_SERVER];

const main = async () => {
  // The server runs in production mode; validate the configuration as production sees it.
  Object.assign(process.env, { NODE_ENV: "production" });
  const config = loadConfigOrExplain();
  // The Security area verifies the audit chain against signed anchors (ADR 0028).
  const anchoring = auditAnchoringProblems(config);
  if (anchoring.length > 0) throw new PreflightError(new ConfigError(anchoring).message);
  if (!existsSync(STANDALONE_SERVER) || !existsSync(path.join(STANDALONE_DIR, ".next", "static"))) {
    throw new PreflightError(
      `No complete build in ${path.relative(ROOT, STANDALONE_DIR)}: run \`npm run build\` first.`,
    );
  }
  const port = process.env.PORT ?? "3000";
  const children = [
    // server.js binds to HOSTNAME, which shells and container runtimes set to the machine's
    // name: bind explicitly, or the server is unreachable on localhost and to probes.
    // The client-IP hook first: X-Forwarded-For is replaced before Next sees a request (TRUST_PROXY).
    // WEB_CONCURRENCY copies of it on one port (lib/cli/web-cluster.mjs); one copy runs alone.
    startChild(
      "web",
      process.execPath,
      ["--import", CLIENT_IP_HOOK, ...webServerArgs(config.web.concurrency ?? defaultCopies())],
      {
        PORT: port,
        HOSTNAME: "0.0.0.0",
        NEXT_TELEMETRY_DISABLED: "1",
      },
    ),
    // node, not tsx's CLI: SIGTERM must reach the server so it drains and flushes its audit.
    // Not where the API runs as replicas of its own (API_NEXT_TO_WEB=false, deploy/api.yaml).
    ...(config.api.nextToWeb ? [startChild("api", process.execPath, ["--import", "tsx", "api/main.ts"])] : []),
  ];
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    void Promise.all(
      children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : null)),
    ).then(() => process.exit(code));
  };
  for (const child of children) child.once("exit", (code) => stop(code ?? 1));
  process.once("SIGINT", () => stop(0));
  process.once("SIGTERM", () => stop(0));
};

main().catch((error: unknown) => {
  console.error(error instanceof PreflightError ? error.message : error);
  process.exit(1);
});
