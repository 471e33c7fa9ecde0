import { db } from "./db";
import { redis } from "./redis";

const withTimeout = <T,>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms).unref())]);

export type THealth = { ok: boolean; database: "up" | "down"; redis: "up" | "down" };

export const checkHealth = async (): Promise<THealth> => {
  const [database, cache] = await Promise.all([
    withTimeout(db.$queryRaw`select 1`, 2_000).then(() => "up" as const, () => "down" as const),
    withTimeout(redis().ping(), 2_000).then(() => "up" as const, () => "down" as const),
  ]);
  return { ok: database === "up" && cache === "up", database, redis: cache };
};
