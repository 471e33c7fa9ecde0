import { db } from "./db";
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, noteDatabaseError } from "./db/availability";
import { redis } from "./redis";
import { withTimeout } from "./timeout";

export type THealth = { ok: boolean; database: "up" | "down"; redis: "up" | "down"; message?: string };

/** Seconds a load balancer or client should wait before asking again after a 503. */
export const HEALTH_RETRY_AFTER_SECONDS = DATABASE_RETRY_AFTER_SECONDS;
const REDIS_UNAVAILABLE_MESSAGE = "The portal cannot reach Redis; scheduling and rate limits are paused.";

export const checkHealth = async (): Promise<THealth> => {
  const [database, cache] = await Promise.all([
    withTimeout(db.$queryRaw`select 1`, 2_000, "timeout").then(
      () => "up" as const,
      (error: unknown) => {
        noteDatabaseError(error);
        return "down" as const;
      },
    ),
    withTimeout(redis().ping(), 2_000, "timeout").then(
      () => "up" as const,
      () => "down" as const,
    ),
  ]);
  const problems = [
    database === "down" ? DATABASE_UNAVAILABLE_MESSAGE : null,
    cache === "down" ? REDIS_UNAVAILABLE_MESSAGE : null,
  ].filter((line) => line !== null);
  return {
    ok: problems.length === 0,
    database,
    redis: cache,
    ...(problems.length > 0 ? { message: problems.join(" ") } : {}),
  };
};
