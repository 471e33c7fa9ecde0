/**
 * `npm start`: the production web server. Validates configuration first, so a development
 * default (no AUTH_SECRET, the dev IdP, an http origin) stops it with a message naming the
 * variable, then runs `next start` on PORT (default 3000).
 */
import { loadConfigOrExplain, PreflightError } from "./preflight";
import { NEXT_BIN, runCommand } from "./run";

const main = async () => {
  // `next start` runs in production mode; validate the configuration as production sees it.
  Object.assign(process.env, { NODE_ENV: "production" });
  loadConfigOrExplain();
  const port = process.env.PORT ?? "3000";
  process.exit(await runCommand(process.execPath, [NEXT_BIN, "start", "--port", port, ...process.argv.slice(2)], { NEXT_TELEMETRY_DISABLED: "1" }));
};

main().catch((error: unknown) => {
  console.error(error instanceof PreflightError ? error.message : error);
  process.exit(1);
});
