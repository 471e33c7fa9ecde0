/**
 * The refusals of RFC 8935 (section 2.4): a 400 whose JSON body names the error, so the
 * transmitter knows whether to fix its key, its issuer, its audience or the token itself.
 */
export const SET_ERROR_CODES = [
  "invalid_request",
  "invalid_key",
  "invalid_issuer",
  "invalid_audience",
  "authentication_failed",
  "access_denied",
] as const;
export type TSetErrorCode = (typeof SET_ERROR_CODES)[number];

export class SetError extends Error {
  readonly err: TSetErrorCode;
  readonly status: number;

  constructor(err: TSetErrorCode, description: string, status = 400) {
    super(description);
    this.name = "SetError";
    this.err = err;
    this.status = status;
  }
}

export const isSetError = (error: unknown): error is SetError => error instanceof SetError;
