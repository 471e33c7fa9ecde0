/**
 * `npm start`: the production web server. Validates configuration first, so a development
 * default (no AUTH_SECRET, the dev IdP, an http origin) stops it with a message naming the
 * variable, then runs the standalone server that `npm run build` wrote (the same one the
 * Docker image runs) on PORT (default 3000), listening on every IPv4 interface.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfigOrExplain, PreflightError } from "./preflight";
import { ROOT, runCommand, STANDALONE_DIR, STANDALONE_SERVER } from "./run";

const main = async () => {
  // The server runs in production mode; validate the configuration as production sees it.
  Object.assign(process.env, { NODE_ENV: "production" });
  loadConfigOrExplain();
  if (!existsSync(STANDALONE_SERVER) || !existsSync(path.join(STANDALONE_DIR, ".next", "static"))) {
    throw new PreflightError(`No complete build in ${path.relative(ROOT, STANDALONE_DIR)}: run \`npm run build\` first.`);
  }
  const port = process.env.PORT ?? "3000";
  // server.js binds to HOSTNAME, which shells and container runtimes set to the machine's
  // name: bind explicitly, or the server is unreachable on localhost and to probes.
  process.exit(await runCommand(process.execPath, [STANDALONE_SERVER], { PORT: port, HOSTNAME: "0.0.0.0", NEXT_TELEMETRY_DISABLED: "1" }));
};

main().catch((error: unknown) => {
  console.error(error instanceof PreflightError ? error.message : error);
  process.exit(1);
});
