import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { getConfig } from "../config";
import { withAfterCommit, withBeforeCommit } from "./after-commit";
import { markDatabaseUp, noteDatabaseError, registerDatabaseProbe } from "./availability";
import { PrismaClient } from "./generated/client";

export { Prisma } from "./generated/client";
export type * from "./generated/client";

/** A client or an interactive transaction: domain functions accept either. */
export type Db = PrismaClient | Prisma.TransactionClient;
import type { Prisma } from "./generated/client";

// One client per process; Next.js dev re-evaluates modules on every change, so keep it on
// globalThis instead of opening a new pool each time.
const globalForDb = globalThis as unknown as { jitPrisma?: PrismaClient };

/**
 * A pg client that reports every connection attempt to lib/db/availability.ts: a refused or
 * failed connect marks the database down (the proxy then answers 503 at once, ADR 0021), a
 * successful one marks it up again. The pool reconnects by itself after a restart.
 */
class ObservedClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
  override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | void {
    const observe = (error: Error | null | undefined): void => {
      if (error) noteDatabaseError(error);
      else markDatabaseUp();
    };
    if (!callback) {
      return super.connect().then(
        (connected) => {
          observe(null);
          return connected;
        },
        (error: Error) => {
          observe(error);
          throw error;
        },
      );
    }
    super.connect(((error: Error | null) => {
      observe(error);
      (callback as (err: Error | null, c?: pg.Client) => void)(error, this);
    }) as (err: Error) => void);
  }
}

/** Waiting for a connection is bounded: an unreachable server fails a request, never hangs it. */
const CONNECT_TIMEOUT_MS = 5_000;

/** A Prisma client on its own pool, observed by lib/db/availability.ts (the process's `db`, tests). */
export const createDbClient = (options: { connectionString: string }): PrismaClient =>
  new PrismaClient({
    // A burst (expiries, revocations) queues for a connection as long as a new one may take to
    // open, rather than failing after Prisma's default 2 s while the pool is busy.
    transactionOptions: { maxWait: CONNECT_TIMEOUT_MS },
    adapter: new PrismaPg(
      {
        connectionString: options.connectionString,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        Client: ObservedClient,
      },
      // An idle or checked-out connection the server dropped (a restart, a failover).
      { onPoolError: noteDatabaseError, onConnectionError: noteDatabaseError },
    ),
  });

const client = (): PrismaClient => {
  if (!globalForDb.jitPrisma) {
    const prisma = createDbClient({ connectionString: getConfig().databaseUrl });
    globalForDb.jitPrisma = prisma;
    registerDatabaseProbe(() => prisma.$queryRaw`select 1`.then(() => true));
  }
  return globalForDb.jitPrisma;
};

/**
 * The process's Prisma client, created on first use rather than at import, so that
 * importing a module (as `next build` does) never reads configuration.
 */
export const db: PrismaClient = new Proxy({} as PrismaClient, {
  get: (_target, property) => {
    const real = client();
    // Interactive transactions get a closing queue and an after-commit queue (lib/db/after-commit.ts).
    if (property === "$transaction") {
      return (arg: unknown, options?: unknown) =>
        typeof arg === "function"
          ? withAfterCommit(() =>
              (real.$transaction as (fn: unknown, options?: unknown) => Promise<unknown>)(
                (tx: object) => withBeforeCommit(tx, () => (arg as (tx: object) => Promise<unknown>)(tx)),
                options,
              ),
            )
          : (real.$transaction as (batch: unknown, options?: unknown) => Promise<unknown>)(arg, options);
    }
    const value: unknown = Reflect.get(real, property, real);
    return typeof value === "function" ? value.bind(real) : value;
  },
  // `"$transaction" in db` answers as the client would: it tells the client from a transaction.
  has: (_target, property) => Reflect.has(client(), property),
});

export const disconnectDb = async (): Promise<void> => {
  if (globalForDb.jitPrisma) await globalForDb.jitPrisma.$disconnect();
  globalForDb.jitPrisma = undefined;
};
