/** The OpenAPI 3.1 document of /api/v1, generated from the handlers' own zod schemas. */
import { z } from "zod";
import { getConfig } from "../config";
import {
  ZApiError,
  ZCheckRequest,
  ZCheckResponse,
  ZJwks,
  ZListGrantsQuery,
  ZListGrantsResponse,
  ZOAuthError,
  ZTokenRequest,
  ZTokenResponse,
} from "./schemas";
import { ZUsageSignalRequest, ZUsageSignalResponse } from "../signals/schemas";
import { ZMeCreateRequest, ZMeCredential, ZMeEnd, ZMeExtend } from "../devices/me-schemas";

const schema = (zod: z.ZodType, io: "input" | "output" = "output") => {
  const json = z.toJSONSchema(zod, { io, unrepresentable: "any" }) as Record<string, unknown>;
  delete json.$schema;
  return json;
};

const json = (zod: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema: schema(zod) } },
});
const apiError = (description: string) => json(ZApiError, description);

export const buildOpenApiDocument = () => {
  const bearer = [{ bearer: [] as string[] }];
  const queryShape = ZListGrantsQuery.shape;
  const parameters = Object.entries(queryShape).map(([name, field]) => ({
    name,
    in: "query",
    required: false,
    description: field.description,
    schema: schema(field, "input"),
  }));
  const unauthorized = {
    ...apiError("Missing, invalid, expired or wrongly signed token, or a disabled client"),
    headers: { "WWW-Authenticate": { schema: { type: "string" }, description: 'Bearer error="invalid_token"' } },
  };
  const tooMany = {
    ...apiError("Rate limit of this client exceeded"),
    headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds" } },
  };
  const SERVICES = ["Services"];
  const ENGINEERS = ["Engineers (person tokens)"];
  const person = [{ person: [] as string[] }];
  const personUnauthorized = apiError(
    "Missing, invalid or expired person token, a service token, a signed-out device or a deactivated person",
  );
  const id = { name: "id", in: "path", required: true, schema: { type: "string", maxLength: 64 } };
  const body = (zod: z.ZodType) => ({
    required: true,
    content: { "application/json": { schema: schema(zod, "input") } },
  });
  const answer = (description: string) => ({ description, content: { "application/json": { schema: {} } } });
  const meErrors = {
    "400": apiError("Invalid body, naming the field"),
    "401": personUnauthorized,
    "404": apiError("Not one of the caller's: another person's request or grant is answered as a missing one"),
    "409": apiError("The object's state forbids it (already ended, no longer pending, shown once)"),
    "429": tooMany,
  };
  const me = {
    "/api/v1/oauth/device_authorization": {
      post: {
        tags: ENGINEERS,
        summary: "Start a device sign-in (RFC 8628 3.1) for the jit CLI: a device code and a user code",
        security: [],
        requestBody: {
          required: true,
          content: {
            "application/x-www-form-urlencoded": {
              schema: {
                type: "object",
                required: ["client_id"],
                properties: { client_id: { const: "jit-cli" }, client_name: { type: "string", maxLength: 100 } },
              },
            },
          },
        },
        responses: {
          "200": answer(
            "device_code, user_code (XXXX-XXXX), verification_uri (the portal's /device), verification_uri_complete, expires_in (600), interval (5)",
          ),
          "400": json(ZOAuthError, "invalid_request"),
          "429": tooMany,
        },
      },
    },
    "/api/v1/me": {
      get: {
        tags: ENGINEERS,
        summary: "Who the token is for",
        security: person,
        responses: { "200": answer("id, name, email, groups, device"), "401": personUnauthorized },
      },
    },
    "/api/v1/me/resources": {
      get: {
        tags: ENGINEERS,
        summary: "What the caller may request, with each policy's limits",
        security: person,
        responses: { "200": answer("{ resources: [...] }"), "401": personUnauthorized },
      },
    },
    "/api/v1/me/requests": {
      post: {
        tags: ENGINEERS,
        summary: "Request access (the portal's rules: eligibility, limits, rate limits, risk signals, audit)",
        security: person,
        requestBody: body(ZMeCreateRequest),
        responses: { "201": answer("{ requestId, status, grantId, link }: approvers decide at link"), ...meErrors },
      },
    },
    "/api/v1/me/requests/{id}": {
      get: {
        tags: ENGINEERS,
        summary:
          "One of the caller's requests: status, approvals so far, grant. ?wait=N (≤ 25) long-polls until it settles",
        security: person,
        parameters: [
          id,
          { name: "wait", in: "query", required: false, schema: { type: "integer", minimum: 0, maximum: 25 } },
        ],
        responses: { "200": answer("The request"), ...meErrors },
      },
    },
    "/api/v1/me/requests/{id}/cancel": {
      post: {
        tags: ENGINEERS,
        summary: "Cancel one of the caller's pending requests",
        security: person,
        parameters: [id],
        responses: { "200": answer("The request, cancelled"), ...meErrors },
      },
    },
    "/api/v1/me/requests/{id}/acknowledge": {
      post: {
        tags: ENGINEERS,
        summary:
          "Acknowledge a request a teammate filed for the caller (ADR 0057): its grant starts once it is also approved",
        security: person,
        parameters: [id],
        responses: { "200": answer("The request, acknowledged (with its grant if it was approved)"), ...meErrors },
      },
    },
    "/api/v1/me/grants": {
      get: {
        tags: ENGINEERS,
        summary: "The caller's active, scheduled and recent grants, and pending requests",
        security: person,
        responses: { "200": answer("{ active, scheduled, past, pending }"), "401": personUnauthorized },
      },
    },
    "/api/v1/me/grants/{id}/end": {
      post: {
        tags: ENGINEERS,
        summary: "End one of the caller's grants now",
        security: person,
        parameters: [id],
        requestBody: body(ZMeEnd),
        responses: { "200": answer("{ id, status: revoked }"), ...meErrors },
      },
    },
    "/api/v1/me/grants/{id}/extend": {
      post: {
        tags: ENGINEERS,
        summary: "Ask for more time on one of the caller's live grants",
        security: person,
        parameters: [id],
        requestBody: body(ZMeExtend),
        responses: { "201": answer("{ requestId, link }"), ...meErrors },
      },
    },
    "/api/v1/me/grants/{id}/credential": {
      post: {
        tags: ENGINEERS,
        summary:
          "Connection material: the grant's one-time PostgreSQL credential (shown once), or with publicKey an SSH certificate for the grant's window. 409 with Retry-After while still being provisioned",
        security: person,
        parameters: [id],
        requestBody: body(ZMeCredential),
        responses: { "200": answer("{ connectorId, kind, title, fields, connection? }"), ...meErrors },
      },
    },
  };
  return {
    openapi: "3.1.0",
    tags: [
      { name: "Services", description: "Machine clients with client-credentials tokens (aud jit-access)" },
      {
        name: "Engineers (person tokens)",
        description:
          "People through the jit CLI: device sign-in (RFC 8628), 15-minute person tokens (aud jit-access-person) and rotating refresh tokens (grant_type refresh_token at /api/v1/oauth/token). A person token can never decide a request.",
      },
    ],
    info: {
      title: "JIT Access services API",
      version: "1",
      description:
        "Machine clients obtain a 15-minute token with the OAuth 2.0 client credentials grant, then ask whether a person holds a permission right now, or list grants. Errors are JSON {error, message}. People are identified by their subject id `<issuer>#<sub>` (stable: key on it); an e-mail is accepted and returned only when the IdP verified it, and may be null.",
    },
    servers: [{ url: getConfig().appUrl }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT (ES256), aud jit-access, 15 minutes" },
        basic: { type: "http", scheme: "basic", description: "client_secret_basic: client id and secret" },
        person: { type: "http", scheme: "bearer", bearerFormat: "JWT (ES256), aud jit-access-person, 15 minutes" },
      },
    },
    paths: {
      "/api/v1/oauth/token": {
        post: {
          tags: SERVICES,
          summary:
            "Issue an access token: client credentials (RFC 6749 4.4) for services; device_code (RFC 8628 3.4) and refresh_token (rotated, reuse revokes the device) for the jit CLI with client_id=jit-cli",
          security: [{ basic: [] as string[] }, {}],
          requestBody: {
            required: true,
            content: { "application/x-www-form-urlencoded": { schema: schema(ZTokenRequest, "input") } },
          },
          responses: {
            "200": json(ZTokenResponse, "The token"),
            "400": json(
              ZOAuthError,
              "invalid_request, unsupported_grant_type, invalid_scope or unauthorized_client (RFC 6749 5.2)",
            ),
            "401": json(ZOAuthError, "invalid_client"),
            "429": {
              ...apiError(
                "rate_limited: too many requests, or too many failed authentications, from this address (or, from an address that failed, for this client id)",
              ),
              headers: tooMany.headers,
            },
            "503": {
              ...apiError("unavailable: too many secrets being verified on this replica; retry after Retry-After"),
              headers: tooMany.headers,
            },
          },
        },
      },
      "/api/v1/access/check": {
        post: {
          tags: SERVICES,
          summary: "Does a subject hold a permission on a resource right now? (scope access:check)",
          security: bearer,
          requestBody: { required: true, content: { "application/json": { schema: schema(ZCheckRequest, "input") } } },
          responses: {
            "200": json(
              ZCheckResponse,
              "The answer, naming the subject (subjectId, verified e-mail) when allowed; an unknown subject or resource, or an unverified e-mail, is allowed: false",
            ),
            "400": apiError("Malformed body"),
            "401": unauthorized,
            "403": apiError("insufficient_scope, or a resource this client may not ask about"),
            "429": tooMany,
            "503": apiError("This replica is not in step with the database; retry"),
          },
        },
      },
      "/api/v1/grants": {
        get: {
          tags: SERVICES,
          summary: "List grants, keyset-paginated, oldest first (scope grants:read)",
          security: bearer,
          parameters,
          responses: {
            "200": json(ZListGrantsResponse, "A page of grants"),
            "400": apiError("Bad parameter or cursor"),
            "401": unauthorized,
            "403": apiError("insufficient_scope"),
            "429": tooMany,
          },
        },
      },
      "/api/v1/signals": {
        post: {
          tags: SERVICES,
          summary:
            "Report a person's use of a resource: a metric over a window, or a discrete event (scope signals:write). A report far outside the person's baseline, above the policy's ceiling, or a high or critical event is flagged, and the policy's response runs before the answer",
          security: bearer,
          requestBody: {
            required: true,
            content: { "application/json": { schema: schema(ZUsageSignalRequest, "input") } },
          },
          responses: {
            "200": json(ZUsageSignalResponse, "Recorded; whether it flagged, why, and what the policy did"),
            "400": apiError("Malformed body, naming the field (e.g. a window other than PT#S, PT#M or PT#H)"),
            "401": unauthorized,
            "403": apiError("insufficient_scope, or a resource this client may not report about"),
            "404": apiError("No such subject or resource"),
            "429": tooMany,
          },
        },
      },
      "/api/v1/openapi.json": {
        get: {
          tags: SERVICES,
          summary: "This document",
          security: bearer,
          responses: { "200": { description: "OpenAPI 3.1" }, "401": unauthorized },
        },
      },
      ...me,
      "/.well-known/jwks.json": {
        get: {
          tags: SERVICES,
          summary: "Public keys that verify the tokens",
          security: [],
          responses: { "200": json(ZJwks, "JWK Set") },
        },
      },
    },
  };
};
