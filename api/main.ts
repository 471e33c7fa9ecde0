/**
 * `npm run api`: one replica of the services API server. Run as `node --import tsx` so SIGTERM
 * reaches it: it stops accepting, drains, flushes the aggregated audit events, then exits.
 */
import { disconnectDb } from "../lib/db";
import { stopMetrics } from "../lib/metrics/registry";
import { loadConfigOrExplain, PreflightError } from "../lib/cli/preflight";
import { redis } from "../lib/redis";
import { startApiServer } from "./server";

const main = async () => {
  const config = loadConfigOrExplain();
  const host = config.api.host;
  const api = await startApiServer({ port: config.api.port, host });
  console.log(`services API on http://${host}:${api.port} (replica: ${JSON.stringify(api.replica.stats())})`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(1), 10_000);
    hard.unref();
    await api.close();
    await stopMetrics();
    await disconnectDb();
    redis().disconnect();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
};

main().catch((error: unknown) => {
  console.error(error instanceof PreflightError ? error.message : error);
  process.exit(1);
});
