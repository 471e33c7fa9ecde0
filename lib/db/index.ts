import { PrismaPg } from "@prisma/adapter-pg";
import { getConfig } from "../config";
import { PrismaClient } from "./generated/client";

export { Prisma } from "./generated/client";
export type * from "./generated/client";
export type { PrismaClient } from "./generated/client";

/** A client or an interactive transaction: domain functions accept either. */
export type Db = PrismaClient | Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

const createClient = (): PrismaClient =>
  new PrismaClient({ adapter: new PrismaPg({ connectionString: getConfig().databaseUrl }) });

// One client per process; Next.js dev re-evaluates modules on every change, so keep it on
// globalThis there instead of opening a new pool each time.
const globalForDb = globalThis as unknown as { jitPrisma?: PrismaClient };

export const db: PrismaClient = globalForDb.jitPrisma ?? createClient();
if (!getConfig().isProduction) globalForDb.jitPrisma = db;
