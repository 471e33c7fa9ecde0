/**
 * The token endpoint's logic (OAuth 2.0 client credentials, RFC 6749 4.4, errors per 5.2) and
 * the verification of the tokens it issues. Every issuance is one audit event, and so is every
 * refusal of a client that proved its secret (a scope it may not have). Refusals before that
 * (malformed, unknown id, wrong secret, throttled) are anyone's to send: they go to the caller's
 * `recordRefusal`, which counts them into one aggregate event per window
 * (docs/decisions/0024-unauthenticated-traffic-is-counted.md).
 */
import { randomUUID } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { recordAuditEvent } from "../audit";
import type { TAuditContext } from "../authz/enforce";
import { getConfig } from "../config";
import { db } from "../db";
import { isScope, TOKEN_ALG, TOKEN_AUDIENCE, TOKEN_TTL_SECONDS, type TScope } from "./scopes";
import { generateClientSecret, hashClientSecret, verifyClientSecret } from "./secrets";
import type { TKeyRing } from "./signing-keys";
import { TokenBusyError, TokenThrottledError, type TokenGuard } from "./token-guard";

export type TOAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope";

export class OAuthError extends Error {
  constructor(
    readonly error: TOAuthErrorCode,
    message: string,
    readonly clientId: string | null = null,
    /** What the audit records and the client is not told. */
    readonly reason: string | null = null,
  ) {
    super(message);
    this.name = "OAuthError";
  }

  get status(): number {
    return this.error === "invalid_client" ? 401 : 400;
  }
}

export type TTokenResponse = { access_token: string; token_type: "Bearer"; expires_in: number; scope: string };

type TCredentials = { clientId: string; clientSecret: string };

const decodeFormComponent = (value: string): string | null => {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return null;
  }
};

/** RFC 6749 2.3.1: the id and secret are form-urlencoded before they are joined by ':'. */
export const basicCredentials = (header: string): TCredentials | null => {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  const clientId = decodeFormComponent(decoded.slice(0, colon));
  const clientSecret = decodeFormComponent(decoded.slice(colon + 1));
  return clientId && clientSecret !== null ? { clientId, clientSecret } : null;
};

const parseForm = (contentType: string | undefined, body: string): Map<string, string> => {
  if (!contentType || contentType.split(";")[0]?.trim().toLowerCase() !== "application/x-www-form-urlencoded") {
    throw new OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded.");
  }
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(body)) {
    // RFC 6749 3.2: parameters must not be included more than once.
    if (params.has(key)) throw new OAuthError("invalid_request", `The parameter ${key} is repeated.`);
    params.set(key, value);
  }
  return params;
};

// Spent on an unknown client id too, so the answer's timing does not tell which ids exist.
let decoyHash: Promise<string> | null = null;

/** The guard's part the authentication uses (lib/services/token-guard.ts); without one, hashes run unguarded. */
export type TTokenGate = Pick<TokenGuard, "knownSecretId" | "rememberSecret" | "assertCapacity" | "verify">;

const UNGUARDED: TTokenGate = {
  knownSecretId: () => undefined,
  rememberSecret: () => undefined,
  assertCapacity: () => undefined,
  verify: (_options, task) => task(),
};

const authenticateClient = async (credentials: TCredentials, now: Date, gate: TTokenGate, ip: string) => {
  const knownSecretId = gate.knownSecretId(credentials.clientId, credentials.clientSecret);
  // A request that will need a hash gets its 503 before it costs a database round trip.
  if (!knownSecretId) gate.assertCapacity();
  const client = await db.serviceClient.findUnique({
    where: { id: credentials.clientId },
    include: { secrets: { where: { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] } } },
  });
  // The same answer for an unknown client, a disabled one and a wrong secret: nothing to probe.
  const refuse = (why: string) =>
    new OAuthError("invalid_client", "Client authentication failed.", client?.id ?? null, why);
  // A secret that matched here before costs no hash and passes no failure limit: nobody else's
  // failures can keep a client that holds its secret from its tokens.
  // (The row is loaded each time: a secret rotated out or expired since is not among them.)
  let matched = (knownSecretId && client?.secrets.find((secret) => secret.id === knownSecretId)) || null;
  if (!matched) {
    matched = await gate.verify({ ip, clientId: client?.id ?? null }, async () => {
      if (!client) {
        decoyHash ??= hashClientSecret(generateClientSecret());
        await verifyClientSecret(credentials.clientSecret, await decoyHash);
        return null;
      }
      let found: (typeof client.secrets)[number] | null = null;
      for (const secret of client.secrets)
        if (await verifyClientSecret(credentials.clientSecret, secret.hash)) found = secret;
      return found;
    });
    if (!matched) throw refuse(client ? "wrong or retired secret" : "unknown client");
    if (client) gate.rememberSecret(client.id, matched.id, credentials.clientSecret);
  }
  if (!client) throw refuse("unknown client");
  if (client.disabledAt) throw refuse("client disabled");
  return client;
};

/** A refusal before the client proved its secret; `reason` is from a closed list, fit for an aggregate's bucket. */
export type TTokenRefusal = { clientId: string | null; reason: string; ip: string | null };

export type TTokenRequest = {
  authorization?: string;
  contentType?: string;
  body: string;
  keyRing: TKeyRing;
  context?: TAuditContext;
  now?: Date;
  /** The flood guards; without one, every attempt is hashed at once. */
  gate?: TTokenGate;
  /** Counts a refusal before authentication (the services API aggregates them per window). */
  recordRefusal: (refusal: TTokenRefusal) => void;
};

/**
 * Answers a token request or throws OAuthError (or TokenThrottledError, 429, or TokenBusyError,
 * 503). Issuance is audited one by one; refusals with the reason the client is not told: one by
 * one once the client proved its secret, through `recordRefusal` before.
 */
export const issueClientCredentialsToken = async (request: TTokenRequest): Promise<TTokenResponse> => {
  const now = request.now ?? new Date();
  const context = request.context ?? {};
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };
  let claimedClientId: string | null = null;
  let authenticated = false;
  try {
    const form = parseForm(request.contentType, request.body);
    const fromHeader = request.authorization ? basicCredentials(request.authorization) : null;
    if (request.authorization && !fromHeader)
      throw new OAuthError("invalid_client", "Malformed HTTP Basic credentials.");
    const bodyId = form.get("client_id");
    const bodySecret = form.get("client_secret");
    if (fromHeader && bodySecret !== undefined)
      throw new OAuthError("invalid_request", "Use one client authentication method, not two.");
    const credentials =
      fromHeader ?? (bodyId && bodySecret !== undefined ? { clientId: bodyId, clientSecret: bodySecret } : null);
    claimedClientId = credentials?.clientId ?? bodyId ?? null;
    const grantType = form.get("grant_type");
    if (!grantType) throw new OAuthError("invalid_request", "grant_type is required.");
    if (grantType !== "client_credentials")
      throw new OAuthError("unsupported_grant_type", "Only grant_type=client_credentials is supported.");
    if (!credentials)
      throw new OAuthError(
        "invalid_client",
        "Client authentication is required (HTTP Basic or client_id and client_secret).",
      );
    if (credentials.clientId.length > 100) throw new OAuthError("invalid_client", "Client authentication failed.");

    const client = await authenticateClient(credentials, now, request.gate ?? UNGUARDED, context.ip ?? "unknown");
    authenticated = true;
    if (client.scopes.length === 0)
      throw new OAuthError("unauthorized_client", "This client holds no scope.", client.id);
    const requested = form.get("scope");
    let scopes: TScope[];
    if (requested === undefined || requested.trim() === "") {
      scopes = client.scopes.filter(isScope);
    } else {
      const names = [...new Set(requested.trim().split(/ +/))];
      const refused = names.filter((name) => !isScope(name) || !client.scopes.includes(name));
      if (refused.length > 0)
        throw new OAuthError("invalid_scope", `Scope not allowed for this client: ${refused.join(" ")}.`, client.id);
      scopes = names.filter(isScope);
    }
    const signer = request.keyRing.signer;
    if (!signer) throw new Error("no signing key loaded");
    const jti = randomUUID();
    const iat = Math.floor(now.getTime() / 1000);
    const scope = scopes.join(" ");
    const token = await new SignJWT({ scope })
      .setProtectedHeader({ alg: TOKEN_ALG, kid: signer.kid, typ: "at+jwt" })
      .setIssuer(getConfig().appUrl)
      .setSubject(client.id)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + TOKEN_TTL_SECONDS)
      .setJti(jti)
      .sign(signer.key);
    await recordAuditEvent({
      ...audit,
      actorType: "SERVICE",
      actorId: client.id,
      action: "service.token.issue",
      targetType: "service_client",
      targetId: client.id,
      outcome: "ALLOWED",
      details: { jti, scope, kid: signer.kid, expiresAt: new Date((iat + TOKEN_TTL_SECONDS) * 1000).toISOString() },
    });
    return { access_token: token, token_type: "Bearer", expires_in: TOKEN_TTL_SECONDS, scope };
  } catch (error) {
    if (error instanceof TokenThrottledError || error instanceof TokenBusyError) {
      const clientId = error instanceof TokenThrottledError ? error.clientId : null;
      request.recordRefusal({ clientId, reason: error.reason, ip: audit.ip });
      throw error;
    }
    if (!(error instanceof OAuthError)) throw error;
    const knownClient = error.clientId;
    if (!authenticated) {
      request.recordRefusal({
        clientId: knownClient,
        reason: error.reason ? `${error.error}: ${error.reason}` : error.error,
        ip: audit.ip,
      });
      throw error;
    }
    await recordAuditEvent({
      ...audit,
      actorType: knownClient ? "SERVICE" : "ANONYMOUS",
      actorId: knownClient,
      action: "service.token.issue",
      targetType: "service_client",
      targetId: (knownClient ?? claimedClientId)?.slice(0, 100) ?? null,
      outcome: "DENIED",
      reason: `${error.error}: ${error.reason ?? error.message}`,
    });
    throw error;
  }
};

export type TVerifiedToken = { clientId: string; scopes: ReadonlySet<string>; expiresAtMs: number; jti: string };

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenError";
  }
}

/**
 * Verifies signature (ES256 only: `alg: none` and HMAC confusions are refused by the allow
 * list), `exp`, `iss`, `aud` and the kid. Whether the client is still enabled is the caller's
 * check, on every call, because it changes while a token lives.
 */
export const verifyAccessToken = async (
  token: string,
  keyRing: TKeyRing,
  now = Date.now(),
): Promise<TVerifiedToken> => {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? keyRing.verifiers.get(header.kid) : undefined;
        if (!key) throw new TokenError("unknown signing key");
        return key;
      },
      {
        algorithms: [TOKEN_ALG],
        issuer: getConfig().appUrl,
        audience: TOKEN_AUDIENCE,
        currentDate: new Date(now),
        clockTolerance: 0,
        requiredClaims: ["exp", "iat", "jti", "sub"],
      },
    );
    if (typeof payload.sub !== "string" || typeof payload.exp !== "number" || typeof payload.jti !== "string")
      throw new TokenError("malformed claims");
    const scope = typeof payload.scope === "string" ? payload.scope : "";
    return {
      clientId: payload.sub,
      scopes: new Set(scope.split(" ").filter(Boolean)),
      expiresAtMs: payload.exp * 1000,
      jti: payload.jti,
    };
  } catch (error) {
    if (error instanceof TokenError) throw error;
    if (error instanceof joseErrors.JOSEError)
      throw new TokenError(error.code === "ERR_JWT_EXPIRED" ? "token expired" : error.message);
    throw new TokenError("malformed token");
  }
};
