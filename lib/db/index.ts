import { PrismaPg } from "@prisma/adapter-pg";
import { getConfig } from "../config";
import { withAfterCommit } from "./after-commit";
import { PrismaClient } from "./generated/client";

export { Prisma } from "./generated/client";
export type * from "./generated/client";

/** A client or an interactive transaction: domain functions accept either. */
export type Db = PrismaClient | Prisma.TransactionClient;
import type { Prisma } from "./generated/client";

// One client per process; Next.js dev re-evaluates modules on every change, so keep it on
// globalThis instead of opening a new pool each time.
const globalForDb = globalThis as unknown as { jitPrisma?: PrismaClient };

const client = (): PrismaClient => {
  globalForDb.jitPrisma ??= new PrismaClient({
    adapter: new PrismaPg({ connectionString: getConfig().databaseUrl }),
  });
  return globalForDb.jitPrisma;
};

/**
 * The process's Prisma client, created on first use rather than at import, so that
 * importing a module (as `next build` does) never reads configuration.
 */
export const db: PrismaClient = new Proxy({} as PrismaClient, {
  get: (_target, property) => {
    const real = client();
    // Interactive transactions get an after-commit queue (lib/db/after-commit.ts).
    if (property === "$transaction") {
      return (arg: unknown, options?: unknown) =>
        typeof arg === "function"
          ? withAfterCommit(() => (real.$transaction as (fn: unknown, options?: unknown) => Promise<unknown>)(arg, options))
          : (real.$transaction as (batch: unknown, options?: unknown) => Promise<unknown>)(arg, options);
    }
    const value: unknown = Reflect.get(real, property, real);
    return typeof value === "function" ? value.bind(real) : value;
  },
});

export const disconnectDb = async (): Promise<void> => {
  if (globalForDb.jitPrisma) await globalForDb.jitPrisma.$disconnect();
  globalForDb.jitPrisma = undefined;
};
