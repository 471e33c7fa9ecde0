import {
  DATABASE_BUSY_MESSAGE,
  DATABASE_BUSY_RETRY_AFTER_SECONDS,
  DATABASE_RETRY_AFTER_SECONDS,
  DATABASE_UNAVAILABLE_MESSAGE,
  isDatabaseBusyError,
  isUnstorableTextError,
  noteDatabaseError,
  UNSTORABLE_TEXT_MESSAGE,
} from "./db/availability";

/**
 * The one error type for expected failures. Its message is safe to show to the caller;
 * anything else thrown is a bug, logged with a request id and answered generically.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  CONFLICT: 409,
  /** Too many attempts (lib/security/rate-limits.ts, lib/webauthn challenges); answered with Retry-After. */
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
} as const;

export type TErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: TErrorCode;
  /** Field-level reasons for INVALID_INPUT, keyed by field path. */
  readonly fields: Record<string, string>;
  /** For RATE_LIMITED and UNAVAILABLE: when to try again, sent as the Retry-After header. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: TErrorCode,
    message: string,
    fields: Record<string, string> = {},
    options: { retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.fields = fields;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

/** The HTTP answer to an AppError: its status, `{ error, message }`, and Retry-After when it has one. */
export const errorResponse = (error: AppError, extra: Record<string, unknown> = {}): Response =>
  Response.json(
    { error: error.code, message: error.message, ...extra },
    {
      status: error.status,
      headers: { "cache-control": "no-store", ...appErrorHeaders(error) },
    },
  );

/** A route handler's answer to what it threw: an AppError (or an unavailable database) as its HTTP answer; anything else is a bug and is rethrown. */
export const answerError = (error: unknown): Response => {
  const known = asAppError(error);
  if (known) return errorResponse(known);
  throw error;
};

/** A file download: never cached, saved under `filename` (which the caller keeps to safe characters). */
export const downloadResponse = (body: BodyInit, options: { contentType: string; filename: string }): Response =>
  new Response(body, {
    headers: {
      "content-type": options.contentType,
      "content-disposition": `attachment; filename="${options.filename}"`,
      "cache-control": "no-store",
    },
  });

/** Extra response headers for an AppError: Retry-After when it has one. */
export const appErrorHeaders = (error: AppError): Record<string, string> =>
  error.retryAfterSeconds !== undefined ? { "retry-after": String(error.retryAfterSeconds) } : {};

/**
 * An error as the caller should see it: an AppError as it is, a database connection error
 * (lib/db/availability.ts) as UNAVAILABLE, answered 503 with Retry-After instead of a 500, and
 * so is an overloaded one (no free connection, a transaction that could not start in time);
 * text PostgreSQL cannot store (a NUL) as INVALID_INPUT, the sender's mistake; null for
 * anything else (a bug: log it, answer generically). Marks the database down for this process
 * when it was a connection error, so the proxy answers the next requests at once.
 */
export const asAppError = (error: unknown): AppError | null => {
  if (isAppError(error)) return error;
  if (isUnstorableTextError(error)) return new AppError("INVALID_INPUT", UNSTORABLE_TEXT_MESSAGE);
  if (isDatabaseBusyError(error))
    return new AppError(
      "UNAVAILABLE",
      DATABASE_BUSY_MESSAGE,
      {},
      { retryAfterSeconds: DATABASE_BUSY_RETRY_AFTER_SECONDS },
    );
  if (noteDatabaseError(error))
    return new AppError(
      "UNAVAILABLE",
      DATABASE_UNAVAILABLE_MESSAGE,
      {},
      { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    );
  return null;
};

/** How a refusal for an unexpected error begins (it then names the logged error's id), so tests tell "refused with a reason" from "crashed". */
export const INTERNAL_REFUSAL_PREFIX = "Something went wrong on our side";
