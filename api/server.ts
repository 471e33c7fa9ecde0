/**
 * The services API (/api/v1/*, /.well-known/jwks.json): a lean node:http server of its own,
 * deployable as any number of replicas, sharing lib/ with the portal. Checks are answered from
 * the in-process grant replica (lib/services/replica.ts); tokens once verified are cached until
 * their `exp`; whether the client is still enabled is read from the replica on every call.
 * No framework: a Next.js route handler serves about 1/40 of what bare node:http serves here.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { z } from "zod";
import { getConfig, type Config } from "../lib/config";
import { API_ROUTES, isApiPath } from "./routes";
import { appErrorHeaders, asAppError } from "../lib/errors";
import { flushMetrics, incrementCounter, observeHistogram } from "../lib/metrics/registry";
import { redis, redisKey } from "../lib/redis";
import { API_SECURITY_HEADERS } from "../lib/security/headers";
import { AuditAggregator, type TAuditRecord } from "../lib/audit/aggregator";
import { listGrants } from "../lib/services/list-grants";
import { buildOpenApiDocument } from "../lib/services/openapi";
import { GrantReplica, type TReplicaClient } from "../lib/services/replica";
import { RateLimiter } from "../lib/services/rate-limit";
import { ZCheckRequest, ZListGrantsQuery } from "../lib/services/schemas";
import { recordUsageSignal, ZUsageSignalRequest } from "../lib/signals";
import { ensureSigningKey, loadKeyRing, type TKeyRing } from "../lib/services/signing-keys";
import { TokenBusyError, TokenGuard, TokenThrottledError } from "../lib/services/token-guard";
import {
  issueClientCredentialsToken,
  OAuthError,
  TokenError,
  verifyAccessToken,
  type TTokenRefusal,
  type TVerifiedToken,
} from "../lib/services/tokens";
import { clientIpFrom } from "../lib/security/client-ip.mjs";
import {
  DEVICE_CODE_GRANT,
  DeviceGrantError,
  exchangeDeviceCode,
  refreshPersonToken,
  startDeviceAuthorization,
} from "../lib/devices";
import { answerMe, authenticatePerson, matchMeRoute, ME_ROUTES, MeError } from "./me";

const MAX_BODY_BYTES = 16 * 1024;
const TOKEN_CACHE_MAX = 100_000;
/** A replica that has not caught up with the database for this long refuses to answer. */
const MAX_STALENESS_MS = 5_000;
const KEY_REFRESH_MS = 30_000;

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  ...API_SECURITY_HEADERS,
};

export type TApiServerOptions = {
  port?: number;
  host?: string;
  /** Replica poll interval; defaults to API_REPLICA_POLL_MS. */
  pollMs?: number;
  /** Listen to Redis pokes (default true). */
  subscribe?: boolean;
  /** See TReplicaOptions.registerLocal. */
  registerLocal?: boolean;
  rateLimit?: { limit: number; windowMs: number };
  /** The token endpoint's guards; defaults from API_TOKEN_* (lib/config.ts). */
  tokenLimits?: Partial<Config["api"]["token"]>;
  /** Proxies trusted to append X-Forwarded-For; defaults to API_TRUST_PROXY. */
  trustProxy?: number;
  auditWindowMs?: number;
  log?: (line: string) => void;
};

export type TApiServer = {
  url: string;
  port: number;
  replica: GrantReplica;
  /** Writes buffered aggregate audit events now (tests; shutdown does it too). */
  flushAudit: () => Promise<void>;
  close: () => Promise<void>;
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const NOT_ALLOWED = JSON.stringify({ allowed: false });

/** 200 with a JSON string: the data plane's one response shape, headers and body in one write. */
const sendJson = (res: ServerResponse, payload: string): void => {
  res.writeHead(200, { ...JSON_HEADERS, "content-length": Buffer.byteLength(payload) });
  res.end(payload);
};

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const payload = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, ...headers, "content-length": Buffer.byteLength(payload) });
  res.end(payload);
};

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      reject(new HttpError(413, "invalid_request", `The body is larger than ${MAX_BODY_BYTES} bytes.`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, "invalid_request", `The body is larger than ${MAX_BODY_BYTES} bytes.`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8")),
    );
    req.on("error", reject);
  });

/** A JSON body parsed by its zod schema, or 400 invalid_request naming each field that is wrong. */
const parseJsonBody = <T>(raw: string, schema: z.ZodType<T>): T => {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpError(400, "invalid_request", "The body must be JSON.");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new HttpError(
      400,
      "invalid_request",
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; "),
    );
  }
  return parsed.data;
};

const invalidToken = (message: string) =>
  new HttpError(401, "invalid_token", message, {
    "www-authenticate": `Bearer realm="jit-access", error="invalid_token"`,
  });
const insufficientScope = (scope: string) =>
  new HttpError(403, "insufficient_scope", `This token lacks the scope ${scope}.`, {
    "www-authenticate": `Bearer realm="jit-access", error="insufficient_scope", scope="${scope}"`,
  });

export const startApiServer = async (options: TApiServerOptions = {}): Promise<TApiServer> => {
  const config = getConfig();
  const log = options.log ?? ((line: string) => console.log(line));
  await ensureSigningKey();
  let keyRing: TKeyRing = await loadKeyRing();
  let keysLoadedAt = Date.now();
  const reloadKeys = async () => {
    keyRing = await loadKeyRing();
    keysLoadedAt = Date.now();
  };
  const replica = new GrantReplica({
    pollMs: options.pollMs ?? config.api.replicaPollMs,
    subscribe: options.subscribe,
    registerLocal: options.registerLocal,
  });
  await replica.start();
  const limiter = new RateLimiter({
    limit: options.rateLimit?.limit ?? config.api.rateLimit,
    windowMs: options.rateLimit?.windowMs ?? config.api.rateLimitWindowMs,
    redis: redis(),
    keyPrefix: redisKey("ratelimit"),
  });
  limiter.start();
  const trustedHops = options.trustProxy ?? config.api.trustProxy;
  const tokenGuard = new TokenGuard({
    ...config.api.token,
    ...options.tokenLimits,
    redis: redis(),
    keyPrefix: redisKey("ratelimit", "token"),
  });
  tokenGuard.start();
  const audit = new AuditAggregator({
    windowMs: options.auditWindowMs ?? config.api.auditWindowMs,
    onError: (error) => log(`audit flush failed: ${String(error)}`),
  });
  audit.start();
  const keyTimer = setInterval(() => void reloadKeys().catch(() => undefined), KEY_REFRESH_MS);
  keyTimer.unref();
  const openApi = JSON.stringify(buildOpenApiDocument());

  const tokenCache = new Map<string, TVerifiedToken>();
  const verify = async (token: string, now: number): Promise<TVerifiedToken> => {
    const cached = tokenCache.get(token);
    if (cached) {
      if (now >= cached.expiresAtMs) {
        tokenCache.delete(token);
        throw invalidToken("The token has expired.");
      }
      return cached;
    }
    let verified: TVerifiedToken;
    try {
      verified = await verifyAccessToken(token, keyRing, now);
    } catch (error) {
      // A key made by another replica since our last load: reload once a second at most.
      if (error instanceof TokenError && error.message === "unknown signing key" && now - keysLoadedAt > 1_000) {
        await reloadKeys();
        return verify(token, now);
      }
      throw invalidToken(error instanceof TokenError ? `Invalid token: ${error.message}.` : "Invalid token.");
    }
    if (tokenCache.size >= TOKEN_CACHE_MAX) {
      for (const [key, value] of tokenCache) if (now >= value.expiresAtMs) tokenCache.delete(key);
      if (tokenCache.size >= TOKEN_CACHE_MAX) tokenCache.clear();
    }
    tokenCache.set(token, verified);
    return verified;
  };

  /** Signature, exp, aud, iss (verify), then on every call: client enabled, scope, rate limit. */
  const authenticate = async (
    req: IncomingMessage,
    scope: string | null,
    now: number,
  ): Promise<{ client: TReplicaClient }> => {
    const header = req.headers.authorization;
    if (!header || header.length < 8 || header.slice(0, 7).toLowerCase() !== "bearer ")
      throw invalidToken("An Authorization: Bearer token is required.");
    const token = await verify(header.slice(7).trim(), now);
    const client = replica.client(token.clientId);
    if (!client?.enabled) throw invalidToken("This client is disabled.");
    if (scope && !(token.scopes.has(scope) && client.scopes.includes(scope))) throw insufficientScope(scope);
    const decision = limiter.take(client.id, now);
    if (!decision.ok) {
      throw new HttpError(429, "rate_limited", "Too many requests for this client; retry later.", {
        "retry-after": String(decision.retryAfterSeconds),
      });
    }
    return { client };
  };

  const sendError = (res: ServerResponse, error: unknown, requestId: string = randomUUID()): void => {
    if (res.headersSent) return void res.destroy();
    if (error instanceof HttpError)
      return send(res, error.status, { error: error.error, message: error.message }, error.headers);
    if (error instanceof MeError)
      return send(
        res,
        error.answer.status,
        { error: error.answer.error, message: error.message },
        error.answer.headers,
      );
    if (error instanceof DeviceGrantError)
      return send(
        res,
        400,
        { error: error.error, error_description: error.message, message: error.message },
        { pragma: "no-cache" },
      );
    // An AppError as it is; a database connection error as a 503 with Retry-After (ADR 0021).
    const known = asAppError(error);
    if (known)
      return send(
        res,
        known.status,
        { error: known.status === 400 ? "invalid_request" : known.code.toLowerCase(), message: known.message },
        appErrorHeaders(known),
      );
    log(`api: request ${requestId} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    send(res, 500, { error: "server_error", message: `Internal error (request ${requestId}).` });
  };

  const reasonOf = (error: unknown): string => (error instanceof HttpError ? error.error : "error");

  /** Every answered call once: the (aggregated) audit, and for checks the metrics (lib/metrics). */
  const recordOutcome = (record: TAuditRecord): void => {
    audit.record(record);
    if (record.operation !== "access.check") return;
    incrementCounter("jit_checks_total", {
      result: record.outcome === "ALLOWED" ? "allow" : record.reason === "not_held" ? "deny" : "refused",
    });
    if (record.startedAt !== undefined)
      observeHistogram("jit_check_duration_seconds", {}, (performance.now() - record.startedAt) / 1000);
  };

  /** The check once the caller is authenticated and the body read: synchronous, no I/O. */
  const answerCheck = (client: TReplicaClient, raw: string, record: TAuditRecord, res: ServerResponse): void => {
    const { subject, resource, permission } = parseJsonBody(raw, ZCheckRequest);
    record.tuple = { subject, resource, permission };
    if (client.resourceKeys.length > 0 && !client.resourceKeys.includes(resource)) {
      throw new HttpError(403, "insufficient_scope", `This client may not ask about resource ${resource}.`);
    }
    const result = replica.check(subject, resource, permission, Date.now());
    if (result.allowed) {
      record.outcome = "ALLOWED";
      recordOutcome(record);
      sendJson(
        res,
        JSON.stringify({
          allowed: true,
          grant: { id: result.grant.id, expiresAt: new Date(result.grant.expiresAt).toISOString() },
          subject: result.subject,
        }),
      );
    } else {
      record.reason = "not_held";
      recordOutcome(record);
      sendJson(res, NOT_ALLOWED);
    }
  };

  const handleCheck = async (req: IncomingMessage, res: ServerResponse, now: number): Promise<void> => {
    const record: TAuditRecord = {
      operation: "access.check",
      clientId: null,
      outcome: "DENIED",
      startedAt: performance.now(),
    };
    try {
      const { client } = await authenticate(req, "access:check", now);
      record.clientId = client.id;
      if (now - replica.lastSyncStartedAt > MAX_STALENESS_MS)
        throw new HttpError(503, "unavailable", "This replica is not in step with the database; retry.", {
          "retry-after": "1",
        });
      answerCheck(client, await readBody(req), record, res);
    } catch (error) {
      record.reason = reasonOf(error);
      recordOutcome(record);
      throw error;
    }
  };

  /**
   * The data plane's common case without promises: a token already verified and cached, an
   * enabled client with the scope, a replica in step, within the rate limit. Anything else
   * returns false and takes handleCheck, which answers every refusal (nothing is counted
   * twice: a refused rate-limit take counts nothing).
   */
  const fastCheck = (req: IncomingMessage, res: ServerResponse): boolean => {
    const header = req.headers.authorization;
    if (!header || header.length < 8 || header.slice(0, 7).toLowerCase() !== "bearer ") return false;
    const token = tokenCache.get(header.slice(7).trim());
    const now = Date.now();
    if (!token || now >= token.expiresAtMs || now - replica.lastSyncStartedAt > MAX_STALENESS_MS) return false;
    const client = replica.client(token.clientId);
    if (!client?.enabled || !token.scopes.has("access:check") || !client.scopes.includes("access:check")) return false;
    if (!limiter.take(client.id, now).ok) return false;
    const record: TAuditRecord = {
      operation: "access.check",
      clientId: client.id,
      outcome: "DENIED",
      startedAt: performance.now(),
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (error: unknown) => {
      if (done) return;
      done = true;
      record.reason = reasonOf(error);
      recordOutcome(record);
      sendError(res, error);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        fail(new HttpError(413, "invalid_request", `The body is larger than ${MAX_BODY_BYTES} bytes.`));
        req.resume();
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      try {
        answerCheck(
          client,
          chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8"),
          record,
          res,
        );
        done = true;
      } catch (error) {
        fail(error);
      }
    });
    req.on("error", fail);
    return true;
  };

  const handleGrants = async (req: IncomingMessage, res: ServerResponse, url: URL, now: number): Promise<void> => {
    const record: TAuditRecord = { operation: "grants.read", clientId: null, outcome: "DENIED" };
    try {
      const { client } = await authenticate(req, "grants:read", now);
      record.clientId = client.id;
      const raw: Record<string, string> = {};
      for (const [key, value] of url.searchParams) {
        if (key in raw) throw new HttpError(400, "invalid_request", `The parameter ${key} is repeated.`);
        raw[key] = value;
      }
      const parsed = ZListGrantsQuery.safeParse(raw);
      if (!parsed.success) {
        throw new HttpError(
          400,
          "invalid_request",
          parsed.error.issues.map((issue) => `${issue.path.join(".") || "query"}: ${issue.message}`).join("; "),
        );
      }
      const query = parsed.data;
      if (query.resource && client.resourceKeys.length > 0 && !client.resourceKeys.includes(query.resource)) {
        throw new HttpError(403, "insufficient_scope", `This client may not ask about resource ${query.resource}.`);
      }
      const page = await listGrants({ query, allowedResourceKeys: client.resourceKeys });
      record.outcome = "ALLOWED";
      record.tuple = {
        subject: query.subject ?? "*",
        resource: query.resource ?? "*",
        permission: `status:${query.status}`,
      };
      recordOutcome(record);
      send(res, 200, page);
    } catch (error) {
      record.reason = reasonOf(error);
      recordOutcome(record);
      throw error;
    }
  };

  /**
   * POST /api/v1/signals (ADR 0042): a service's usage report. Lean like the check: the token
   * from the cache, one read of the baseline and one insert for an unflagged report; a flagged
   * one runs the policy's response in its own transaction before answering.
   */
  const handleSignals = async (req: IncomingMessage, res: ServerResponse, requestId: string, now: number) => {
    const record: TAuditRecord = { operation: "usage.signal", clientId: null, outcome: "DENIED" };
    try {
      const { client } = await authenticate(req, "signals:write", now);
      record.clientId = client.id;
      const input = parseJsonBody(await readBody(req), ZUsageSignalRequest);
      record.tuple = {
        subject: input.subject,
        resource: input.resource,
        permission: input.metric ?? input.event ?? "",
      };
      const result = await recordUsageSignal({
        client,
        input,
        audit: { ip: clientIpOf(req), userAgent: req.headers["user-agent"] ?? null, requestId },
      });
      record.outcome = "ALLOWED";
      record.reason = result.flagged ? "flagged" : undefined;
      recordOutcome(record);
      send(res, 200, result);
    } catch (error) {
      record.reason = reasonOf(error);
      recordOutcome(record);
      throw error;
    }
  };

  /** The caller's address: the TCP peer, or what the API's trusted proxies say (API_TRUST_PROXY). */
  const clientIpOf = (req: IncomingMessage): string => {
    const header = req.headers["x-forwarded-for"];
    return (
      clientIpFrom({
        forwardedFor: Array.isArray(header) ? header.join(",") : header,
        peer: req.socket.remoteAddress,
        trustedHops,
      }) ?? "unknown"
    );
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    const ip = clientIpOf(req);
    // Refusals before the client proved its secret are anyone's to send: counted per window and
    // address into one aggregate audit event, never one chain event each (ADR 0024).
    const recordRefusal = (refusal: TTokenRefusal) => {
      recordOutcome({
        operation: "service.token.issue",
        clientId: refusal.clientId,
        outcome: "DENIED",
        reason: refusal.reason,
        ip: refusal.ip,
      });
      incrementCounter("jit_unauthenticated_refusals_total", { source: "token", reason: refusal.reason });
    };
    let admitted = false;
    try {
      // Per address first, before the body is read or the database asked (ADR 0025).
      tokenGuard.admitRequest(ip);
      admitted = true;
      const body = await readBody(req);
      // The person grants (RFC 8628 device code, refresh): no client secret, no hash to guard.
      const form = new URLSearchParams(body);
      const grantType = form.get("grant_type");
      if (grantType === DEVICE_CODE_GRANT || grantType === "refresh_token") {
        const context = { ip, userAgent: req.headers["user-agent"] ?? null, requestId };
        const contentType = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
        if (contentType !== "application/x-www-form-urlencoded")
          throw new DeviceGrantError("invalid_request", "The body must be application/x-www-form-urlencoded.");
        if (form.get("client_id") !== "jit-cli")
          throw new DeviceGrantError("invalid_request", "client_id must be jit-cli.");
        const token =
          grantType === DEVICE_CODE_GRANT
            ? await exchangeDeviceCode({ deviceCode: form.get("device_code") ?? undefined, keyRing, context })
            : await refreshPersonToken({ refreshToken: form.get("refresh_token") ?? undefined, keyRing, context });
        return send(res, 200, token, { pragma: "no-cache" });
      }
      const token = await issueClientCredentialsToken({
        authorization: req.headers.authorization,
        contentType: req.headers["content-type"],
        body,
        keyRing,
        context: { ip, userAgent: req.headers["user-agent"] ?? null, requestId },
        gate: tokenGuard,
        recordRefusal,
      });
      send(res, 200, token, { pragma: "no-cache" });
    } catch (error) {
      if (error instanceof TokenThrottledError) {
        // Refusals past admission were counted by issueClientCredentialsToken.
        if (!admitted) recordRefusal({ clientId: null, reason: error.reason, ip });
        throw new HttpError(429, "rate_limited", error.message, {
          "retry-after": String(error.retryAfterSeconds),
          pragma: "no-cache",
        });
      }
      if (error instanceof TokenBusyError)
        throw new HttpError(503, "unavailable", error.message, {
          "retry-after": String(error.retryAfterSeconds),
          pragma: "no-cache",
        });
      if (error instanceof HttpError) {
        recordRefusal({ clientId: null, reason: error.error, ip });
        throw error;
      }
      if (!(error instanceof OAuthError)) throw error;
      send(
        res,
        error.status,
        { error: error.error, error_description: error.message, message: error.message },
        {
          pragma: "no-cache",
          ...(error.error === "invalid_client" ? { "www-authenticate": `Basic realm="jit-access"` } : {}),
        },
      );
    }
  };

  /** RFC 8628 3.1: per address like the token endpoint, then a device code and a user code. */
  const handleDeviceAuthorization = async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    const ip = clientIpOf(req);
    try {
      tokenGuard.admitRequest(ip);
    } catch (error) {
      if (error instanceof TokenThrottledError)
        throw new HttpError(429, "rate_limited", error.message, { "retry-after": String(error.retryAfterSeconds) });
      throw error;
    }
    const contentType = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
    const body = await readBody(req);
    if (contentType !== "application/x-www-form-urlencoded")
      throw new DeviceGrantError("invalid_request", "The body must be application/x-www-form-urlencoded.");
    const input: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(body)) {
      if (key in input) throw new DeviceGrantError("invalid_request", `The parameter ${key} is repeated.`);
      input[key] = value;
    }
    const answer = await startDeviceAuthorization({
      input,
      portalUrl: config.appUrl,
      context: { ip, userAgent: req.headers["user-agent"] ?? null, requestId },
    });
    send(res, 200, answer, { pragma: "no-cache" });
  };

  /** The engineers' API (api/me.ts): a person token, per-person rate limit, the portal's use cases. */
  const handleMe = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requestId: string,
    now: number,
  ): Promise<boolean> => {
    const matched = matchMeRoute(url.pathname);
    if (!matched) return false;
    const method = req.method ?? "GET";
    const methods: readonly string[] = ME_ROUTES[matched.route];
    if (!methods.includes(method))
      throw new HttpError(405, "method_not_allowed", `Use ${methods.join(", ")}.`, { allow: methods.join(", ") });
    const actor = await authenticatePerson(req, keyRing, now);
    const decision = limiter.take(`person:${actor.userId}`, now);
    if (!decision.ok)
      throw new HttpError(429, "rate_limited", "Too many requests for this person; retry later.", {
        "retry-after": String(decision.retryAfterSeconds),
      });
    const aborted = new AbortController();
    res.once("close", () => aborted.abort());
    const answer = await answerMe(matched.route, matched.id, {
      actor,
      audit: { ip: clientIpOf(req), userAgent: req.headers["user-agent"] ?? null, requestId },
      url,
      readBody: () => readBody(req),
      signal: aborted.signal,
    });
    send(res, answer.status, answer.body);
    return true;
  };

  const route = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    const now = Date.now();
    const url = new URL(req.url ?? "/", "http://api.local");
    const method = req.method ?? "GET";
    const path = url.pathname;
    if (path.startsWith("/api/v1/me") && (await handleMe(req, res, url, requestId, now))) return;
    // The route table (api/routes.ts) decides what exists and which methods it takes.
    if (!isApiPath(path)) throw new HttpError(404, "not_found", `No such endpoint: ${method} ${path}.`);
    const methods: readonly string[] = API_ROUTES[path];
    if (!methods.includes(method))
      throw new HttpError(405, "method_not_allowed", `Use ${methods.join(", ")}.`, { allow: methods.join(", ") });
    switch (path) {
      case "/api/v1/access/check":
        return handleCheck(req, res, now);
      case "/api/v1/grants":
        return handleGrants(req, res, url, now);
      case "/api/v1/signals":
        return handleSignals(req, res, requestId, now);
      case "/api/v1/oauth/token":
        return handleToken(req, res, requestId);
      case "/api/v1/oauth/device_authorization":
        return handleDeviceAuthorization(req, res, requestId);
      case "/.well-known/jwks.json":
        return send(res, 200, keyRing.jwks, { "cache-control": "public, max-age=60" });
      case "/api/v1/openapi.json":
        await authenticate(req, null, now);
        res.writeHead(200, { ...JSON_HEADERS, "content-length": Buffer.byteLength(openApi) });
        res.end(openApi);
        return;
      case "/healthz":
        return send(res, 200, { ok: true, replica: replica.stats(), lagMs: now - replica.lastSyncStartedAt });
    }
  };

  const server: Server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/api/v1/access/check" && fastCheck(req, res)) return;
    const requestId =
      (typeof req.headers["x-request-id"] === "string" && req.headers["x-request-id"].slice(0, 100)) || randomUUID();
    route(req, res, requestId).catch((error: unknown) => sendError(res, error, requestId));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? config.api.port, options.host ?? config.api.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(keyTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, 5_000).unref();
      });
      await replica.stop();
      await limiter.stop();
      await tokenGuard.stop();
      await audit.stop();
      // The check counters and latencies recorded since the last second's flush.
      await flushMetrics();
    })());

  return { url: `http://127.0.0.1:${port}`, port, replica, flushAudit: () => audit.flush(), close };
};
