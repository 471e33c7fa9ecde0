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
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
} as const;

export type TErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: TErrorCode;
  /** Field-level reasons for INVALID_INPUT, keyed by field path. */
  readonly fields: Record<string, string>;

  constructor(code: TErrorCode, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.fields = fields;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
