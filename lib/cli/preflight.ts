import { Redis } from "ioredis";
import { ConfigError, getConfig, type Config } from "../config";
import { ensureDatabase } from "../db/ensure-database";

/** A URL fit for a log line: the password, if any, replaced. */
export const redactUrl = (value: string): string => {
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable URL)";
  }
};

export class PreflightError extends Error {
  override name = "PreflightError";
}

/** Validated configuration, or a message naming each bad variable. */
export const loadConfigOrExplain = (): Config => {
  try {
    return getConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new PreflightError(error.message);
    throw error;
  }
};

/**
 * Checks that PostgreSQL and Redis answer (creating the app's database if it is missing),
 * and says which URL failed and how to start the service when one does not.
 */
export const checkDatabase = async (config: Config): Promise<"created" | "exists"> => {
  try {
    return await ensureDatabase(config.databaseUrl);
  } catch (error) {
    throw new PreflightError(
      [
        `PostgreSQL is not reachable at ${redactUrl(config.databaseUrl)} (${(error as Error).message || String(error)}).`,
        "Start it, e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`, or point DATABASE_URL at a running server.",
      ].join("\n"),
    );
  }
};

export const checkServices = async (config: Config): Promise<{ database: "created" | "exists" }> => {
  const database = await checkDatabase(config);
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new PreflightError(
      [
        `Redis is not reachable at ${redactUrl(config.redisUrl)} (${(error as Error).message || String(error)}).`,
        'Start it, e.g. `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`, or point REDIS_URL at a running server.',
      ].join("\n"),
    );
  } finally {
    redis.disconnect();
  }
  return { database };
};
