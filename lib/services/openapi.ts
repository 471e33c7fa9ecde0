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
  return {
    openapi: "3.1.0",
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
      },
    },
    paths: {
      "/api/v1/oauth/token": {
        post: {
          summary: "Issue an access token (client credentials, RFC 6749 4.4)",
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
      "/api/v1/openapi.json": {
        get: {
          summary: "This document",
          security: bearer,
          responses: { "200": { description: "OpenAPI 3.1" }, "401": unauthorized },
        },
      },
      "/.well-known/jwks.json": {
        get: {
          summary: "Public keys that verify the tokens",
          security: [],
          responses: { "200": json(ZJwks, "JWK Set") },
        },
      },
    },
  };
};
