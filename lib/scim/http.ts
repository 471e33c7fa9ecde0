/**
 * The SCIM API's HTTP edge, shared by the route handlers under app/scim/v2: the bearer token,
 * a per-connection rate limit, a body size limit, JSON parsing, and every refusal as a SCIM
 * error body (application/scim+json). A bug is logged with the request id and answered 500
 * with a SCIM body; input never reaches that branch (the PATCH fuzz test holds it there).
 */
import { asAppError } from "../errors";
import { logger } from "../log";
import { takeRateLimit } from "../security/rate-limit";
import { authenticateDirectory, type TDirectoryActor, type TScimContext } from "./authenticate";
import { isScimError, SCIM_CONTENT_TYPE, ScimError, scimErrorBody } from "./errors";

/** 1 MiB: a group push of a few thousand members fits; more is refused with 413. */
export const MAX_SCIM_BODY_BYTES = 1 << 20;
/** Requests per connection per minute. Okta and Entra ID pace themselves far below this. */
export const SCIM_RATE_LIMIT = { limit: 1200, windowMs: 60_000 } as const;

export type TScimResult = { status: number; body?: unknown; headers?: Record<string, string> };
export type TScimCall = {
  request: Request;
  actor: TDirectoryActor;
  context: TScimContext;
  params: URLSearchParams;
  ifMatch: string | null;
  body: () => Promise<unknown>;
};

const respond = ({ status, body, headers = {} }: TScimResult): Response =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": SCIM_CONTENT_TYPE, "cache-control": "no-store", ...headers },
  });

const errorResult = (error: ScimError): TScimResult => ({
  status: error.status,
  body: scimErrorBody(error),
  headers: error.headers,
});

const readBody = async (request: Request): Promise<unknown> => {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== SCIM_CONTENT_TYPE && type !== "application/json")
    throw new ScimError(415, `Send the body as ${SCIM_CONTENT_TYPE}.`, "invalidSyntax");
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_SCIM_BODY_BYTES) throw new ScimError(413, "The body is larger than 1 MiB.");
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_SCIM_BODY_BYTES) throw new ScimError(413, "The body is larger than 1 MiB.");
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown;
  } catch {
    throw new ScimError(400, "The body is not valid JSON.", "invalidSyntax");
  }
};

export const contextOf = (request: Request): TScimContext => ({
  ip: request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || null,
  userAgent: request.headers.get("user-agent")?.slice(0, 500) ?? null,
  requestId: request.headers.get("x-request-id"),
});

/** Runs one SCIM call: authenticate, limit, then `handler`; every refusal answered the SCIM way. */
export const handleScim = async (
  request: Request,
  handler: (call: TScimCall) => Promise<TScimResult>,
): Promise<Response> => {
  const context = contextOf(request);
  try {
    const actor = await authenticateDirectory({ authorization: request.headers.get("authorization"), context });
    const verdict = await takeRateLimit({
      flow: "scim",
      keys: [{ scope: "directory", id: actor.connectionId, rule: SCIM_RATE_LIMIT }],
    });
    if (!verdict.ok)
      throw new ScimError(429, "Too many SCIM requests for this connection; slow down.", undefined, {
        "retry-after": String(verdict.retryAfterSeconds),
      });
    const params = new URL(request.url).searchParams;
    return respond(
      await handler({
        request,
        actor,
        context,
        params,
        ifMatch: request.headers.get("if-match"),
        body: () => readBody(request),
      }),
    );
  } catch (error) {
    if (isScimError(error)) return respond(errorResult(error));
    const known = asAppError(error);
    if (known) {
      const status = known.code === "INVALID_INPUT" ? 400 : known.status;
      return respond(errorResult(new ScimError(status, known.message, status === 400 ? "invalidValue" : undefined)));
    }
    logger().error(
      {
        event: { action: "scim.request" },
        error: { message: String(error) },
        http: { request: { id: context.requestId } },
      },
      "SCIM request failed",
    );
    return respond(errorResult(new ScimError(500, "Internal error; the portal's log has the details.")));
  }
};

/** A single resource with its ETag (and Location when created). */
export const resourceResult = (resource: Record<string, unknown>, status = 200): TScimResult => {
  const meta = resource.meta as { version?: string; location?: string } | undefined;
  return {
    status,
    body: resource,
    headers: {
      ...(meta?.version ? { etag: meta.version } : {}),
      ...(status === 201 && meta?.location ? { location: meta.location } : {}),
    },
  };
};
