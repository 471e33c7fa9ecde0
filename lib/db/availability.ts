/**
 * Whether this process can reach PostgreSQL, and how to tell a "database unreachable" error
 * from a bug (ADR 0021). No imports: proxy.ts reads the state before any page, server action
 * or route handler runs, and must not pull Prisma into its bundle.
 *
 * The state lives on globalThis because Next.js bundles proxy.ts, instrumentation.ts and the
 * app's server code separately: each bundle has its own copy of this module, but they all run
 * in one Node.js process and share globalThis.
 */

export const DATABASE_UNAVAILABLE_MESSAGE = "The portal cannot reach its database; try again in a moment.";
/** Seconds a client should wait before trying again (Retry-After). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export const DATABASE_BUSY_MESSAGE = "The portal is busy; nothing was changed. Try again in a moment.";
export const DATABASE_BUSY_RETRY_AFTER_SECONDS = 2;

// Prisma's codes for an unreachable server, a timeout, a closed connection.
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017"]);
// Prisma's codes for a database that answers but not in time for this request: no free
// connection in the pool (P2024), a transaction that could not start or ran past its timeout
// (P2028). The transaction rolled back; the database is up, so the proxy must not gate.
const BUSY_CODES = new Set(["P2024", "P2028"]);
// Socket errors (Node), and PostgreSQL's SQLSTATEs for "connection gone" (08xxx), "the server
// is shutting down, crashed or starting" (57P01-57P03) and "too many connections" (53300).
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);
// The driver adapter's kinds (@prisma/adapter-pg's convertDriverError).
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const MESSAGES =
  /can't reach database server|connection terminated|terminating connection|the database system is (shutting down|starting up|in recovery)|server closed the connection|connection (refused|closed)|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET/i;

/** True when `test` holds for `error`, anything in its cause chain, or the driver error Prisma wraps. */
const someInDatabaseError = (
  error: unknown,
  test: (record: Record<string, unknown>, code: string | undefined) => boolean,
): boolean => {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): boolean => {
    if (value === null || typeof value !== "object" || seen.has(value) || depth > 6) return false;
    seen.add(value);
    const record = value as Record<string, unknown>;
    const code =
      typeof record.code === "string"
        ? record.code
        : typeof record.originalCode === "string"
          ? record.originalCode
          : undefined;
    if (test(record, code)) return true;
    const meta = record.meta as Record<string, unknown> | undefined;
    return visit(record.cause, depth + 1) || visit(meta?.driverAdapterError, depth + 1) || visit(meta, depth + 1);
  };
  return visit(error, 0);
};

/**
 * True when `error` (or anything in its cause chain, or the driver error Prisma wraps) says
 * the database cannot be reached right now, as opposed to a query or a programming error.
 */
export const isDatabaseUnavailableError = (error: unknown): boolean =>
  someInDatabaseError(error, (record, code) => {
    if (code !== undefined && (PRISMA_CODES.has(code) || CONNECTION_CODES.has(code))) return true;
    if (typeof record.kind === "string" && ADAPTER_KINDS.has(record.kind)) return true;
    if (record.kind === "postgres" && typeof record.code === "string" && CONNECTION_CODES.has(record.code)) return true;
    return typeof record.message === "string" && MESSAGES.test(record.message);
  });

// PostgreSQL's SQLSTATEs for text it cannot hold: a NUL in text (22021, "invalid byte sequence
// for encoding UTF8: 0x00") or `\u0000` in jsonb (22P05, "unsupported Unicode escape sequence").
const UNSTORABLE_TEXT_CODES = new Set(["22021", "22P05"]);

export const UNSTORABLE_TEXT_MESSAGE =
  "The input contains a character the portal cannot store (a NUL); remove it and try again.";

/**
 * True when `error` says the input held text PostgreSQL cannot store or compare (a NUL). The
 * sender's input, not a bug: answered 400 (lib/errors.ts asAppError), and the transaction that
 * met it rolled back whole.
 */
export const isUnstorableTextError = (error: unknown): boolean =>
  someInDatabaseError(error, (_record, code) => code !== undefined && UNSTORABLE_TEXT_CODES.has(code));

/**
 * True when `error` says the database is overloaded rather than gone (see BUSY_CODES): the
 * request is answered 503 with a short Retry-After, and nothing marks the database down.
 */
export const isDatabaseBusyError = (error: unknown): boolean => {
  let value: unknown = error;
  for (let depth = 0; depth < 6 && value !== null && typeof value === "object"; depth += 1) {
    const code = (value as { code?: unknown }).code;
    if (typeof code === "string" && BUSY_CODES.has(code)) return true;
    value = (value as { cause?: unknown }).cause;
  }
  return false;
};

type TState = {
  downSince: number | null;
  lastError: string | null;
  probe: (() => Promise<boolean>) | null;
  probing: Promise<boolean> | null;
  probedAt: number;
};

const KEY = Symbol.for("jit.databaseAvailability");
const state = (): TState => {
  const holder = globalThis as unknown as Record<symbol, TState | undefined>;
  holder[KEY] ??= { downSince: null, lastError: null, probe: null, probing: null, probedAt: 0 };
  return holder[KEY];
};

/** Records that the database could not be reached (a failed connect, a dropped connection). */
export const markDatabaseDown = (error: unknown): void => {
  const current = state();
  current.downSince ??= Date.now();
  current.lastError = error instanceof Error ? error.message : String(error);
};

/** Records that a connection to the database was just made. */
export const markDatabaseUp = (): void => {
  const current = state();
  current.downSince = null;
  current.lastError = null;
};

/** Marks the database down when `error` is a connection error; returns whether it was one. */
export const noteDatabaseError = (error: unknown): boolean => {
  if (!isDatabaseUnavailableError(error)) return false;
  markDatabaseDown(error);
  return true;
};

export const databaseAvailability = (): { down: boolean; downSince: number | null; lastError: string | null } => {
  const { downSince, lastError } = state();
  return { down: downSince !== null, downSince, lastError };
};

/** lib/db registers how to test the connection (a `select 1` through the pool). */
export const registerDatabaseProbe = (probe: () => Promise<boolean>): void => {
  state().probe = probe;
};

/**
 * While the database is marked down: is it back? At most one probe in flight and one every
 * `everyMs` per process, each bounded by `timeoutMs`, so a flood of requests during an outage
 * costs the database (and the requests) nothing. True when it answered.
 */
export const recheckDatabase = async (options: { everyMs?: number; timeoutMs?: number } = {}): Promise<boolean> => {
  const current = state();
  if (current.downSince === null) return true;
  if (!current.probe) return false;
  if (current.probing) return current.probing;
  if (Date.now() - current.probedAt < (options.everyMs ?? 1_000)) return false;
  current.probedAt = Date.now();
  const probe = current.probe;
  const timeoutMs = options.timeoutMs ?? 2_000;
  current.probing = Promise.race([
    probe().catch(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
  ]).then((ok) => {
    current.probing = null;
    if (ok) markDatabaseUp();
    return ok;
  });
  return current.probing;
};
