/**
 * The push receiver's HTTP edge (RFC 8935), shared by app/api/ssf/events/[transmitterId]: the
 * body is one SET sent as application/secevent+jwt; success is 202 Accepted with no body; a
 * refusal is 400 with `{ err, description }`. Refusals come from anyone on the network, so they
 * are counted in one audit aggregate per window, not written one event each (ADR 0024).
 */
import { flushProcessAggregator, processAggregator } from "../audit/process-aggregator";
import { asAppError } from "../errors";
import { logger } from "../log";
import { incrementCounter } from "../metrics/registry";
import { receiveSecurityEvent } from "./receive-security-event";
import { isSetError, SetError } from "./set-error";
import type { TSignalContext } from "./transmitter-event";

export const SET_CONTENT_TYPE = "application/secevent+jwt";
/** A SET is a few hundred bytes; 64 KiB leaves room for many events and long subjects. */
export const MAX_SET_BYTES = 64 * 1024;

const OPERATION = "signals.receive";

/** Writes the window's aggregate now (tests, shutdown). */
export const flushSignalRefusals = (): Promise<void> => flushProcessAggregator(OPERATION);

const refusal = (error: SetError, transmitterId: string, ip: string | null): Response => {
  processAggregator(OPERATION, "refused security events").record({
    operation: OPERATION,
    clientId: null,
    outcome: "DENIED",
    reason: error.err,
    ip,
    targetType: null,
    sample: `${transmitterId.slice(0, 64)}: ${error.message}`,
  });
  incrementCounter("jit_unauthenticated_refusals_total", { source: "ssf", reason: error.err });
  return Response.json(
    { err: error.err, description: error.message },
    { status: error.status, headers: { "cache-control": "no-store" } },
  );
};

const readSet = async (request: Request): Promise<string> => {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== SET_CONTENT_TYPE) throw new SetError("invalid_request", `Send the SET as ${SET_CONTENT_TYPE}.`);
  if (Number(request.headers.get("content-length") ?? "0") > MAX_SET_BYTES)
    throw new SetError("invalid_request", "The SET is larger than 64 KiB.");
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_SET_BYTES) throw new SetError("invalid_request", "The SET is larger than 64 KiB.");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).trim();
  } catch {
    throw new SetError("invalid_request", "The SET is not UTF-8 text.");
  }
};

export const contextOf = (request: Request): TSignalContext => ({
  ip: request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || null,
  userAgent: request.headers.get("user-agent")?.slice(0, 500) ?? null,
  requestId: request.headers.get("x-request-id"),
});

/** One push: read, verify and apply the SET; 202 or the RFC 8935 refusal. */
export const handleSetPush = async (request: Request, transmitterId: string): Promise<Response> => {
  const context = contextOf(request);
  try {
    const token = await readSet(request);
    await receiveSecurityEvent({ transmitterId, token, context });
    return new Response(null, { status: 202, headers: { "cache-control": "no-store" } });
  } catch (error) {
    if (isSetError(error)) return refusal(error, transmitterId, context.ip);
    const known = asAppError(error);
    if (known && known.status < 500)
      return refusal(new SetError("invalid_request", known.message), transmitterId, context.ip);
    logger().error(
      {
        event: { action: "signals.receive" },
        error: { message: String(error) },
        http: { request: { id: context.requestId } },
      },
      "security event push failed",
    );
    // A 5xx: the transmitter retries later, which is what a database outage needs.
    return Response.json(
      { err: "temporarily_unavailable", description: "The receiver could not process the SET now; retry later." },
      { status: known?.status ?? 500, headers: { "cache-control": "no-store" } },
    );
  }
};
