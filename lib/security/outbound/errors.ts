import { AppError } from "../../errors";

/**
 * Why an outbound call failed, as stored for administrators instead of the receiver's answer
 * (which could be an internal service's response: the guard must not become a reader).
 */
export const OUTBOUND_ERROR_CLASSES = [
  "blocked_address",
  "dns",
  "refused",
  "timeout",
  "tls",
  "network",
  "redirect",
  "http_4xx",
  "http_5xx",
  "http_other",
] as const;
export type TOutboundErrorClass = (typeof OUTBOUND_ERROR_CLASSES)[number];

/** For administrators, next to the class. */
export const OUTBOUND_ERROR_DESCRIPTIONS: Record<TOutboundErrorClass, string> = {
  blocked_address: "the target is an internal address that OUTBOUND_ALLOWED_HOSTS does not name",
  dns: "the host name does not resolve",
  refused: "the connection was refused",
  timeout: "no answer in time",
  tls: "the TLS handshake or certificate check failed",
  network: "the connection failed",
  redirect: "the receiver answered with a redirect, which is not followed",
  http_4xx: "the receiver refused the request (4xx)",
  http_5xx: "the receiver failed (5xx)",
  http_other: "the receiver gave an unexpected status",
};

/** The description of a stored class; an unknown (older) value as it is. */
export const describeOutboundError = (value: string): string =>
  (OUTBOUND_ERROR_DESCRIPTIONS as Record<string, string>)[value] ?? value;

/**
 * An outbound call that did not happen or did not complete. `blocked_address` and `dns` are
 * the target's fault (INVALID_INPUT, with `fields.target` saying why); the rest are the
 * network's or the receiver's (UNAVAILABLE). The message never contains a response body.
 */
export class OutboundError extends AppError {
  readonly errorClass: TOutboundErrorClass;

  constructor(errorClass: TOutboundErrorClass, message: string) {
    super(errorClass === "blocked_address" || errorClass === "dns" ? "INVALID_INPUT" : "UNAVAILABLE", message, {
      target: errorClass,
    });
    this.name = "OutboundError";
    this.errorClass = errorClass;
  }
}

/** The class of any error an outbound call threw (an OutboundError knows its own). */
export const outboundErrorClass = (error: unknown): TOutboundErrorClass => {
  if (error instanceof OutboundError) return error.errorClass;
  const { code, name } = (error ?? {}) as { code?: string; name?: string };
  if (name === "TimeoutError" || code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT") return "timeout";
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ENODATA") return "dns";
  if (
    typeof code === "string" &&
    (code.startsWith("ERR_TLS") ||
      code.startsWith("ERR_SSL") ||
      code === "EPROTO" ||
      /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code))
  )
    return "tls";
  return "network";
};
