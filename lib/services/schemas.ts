/**
 * The API's contract in zod: the handlers parse with these, and openapi.ts turns the same
 * schemas into the OpenAPI 3.1 document, so the document cannot drift from the code.
 */
import { z } from "zod";

const SUBJECT =
  "The person: their subject id `<issuer>#<sub>` (recommended: stable, as their ID token names them), their user id, or an e-mail address the IdP verified (an unverified one matches nobody)";

/** Who a grant is for (docs/security.md, "Identity: subject ids and verified e-mail"). */
export const ZSubject = z.object({
  id: z.string().describe("The portal's user id"),
  subjectId: z.string().describe("`<issuer>#<sub>`: the stable key integrators should use"),
  email: z.string().nullable().describe("The e-mail the IdP verified, or null: a label, not a key"),
});

export const ZCheckRequest = z
  .object({
    subject: z.string().min(1).max(1024).describe(SUBJECT),
    resource: z.string().min(1).max(100).describe("The resource key, e.g. prod-postgres"),
    permission: z.string().min(1).max(100).describe("e.g. read, write"),
  })
  .strict();
export type TCheckRequest = z.infer<typeof ZCheckRequest>;

export const ZCheckResponse = z.union([
  z.object({
    allowed: z.literal(true),
    grant: z.object({ id: z.string(), expiresAt: z.iso.datetime() }),
    subject: ZSubject,
  }),
  z.object({ allowed: z.literal(false) }),
]);

export const GRANT_STATUSES = ["active", "scheduled", "expired", "revoked", "all"] as const;

export const ZListGrantsQuery = z
  .object({
    subject: z.string().min(1).max(1024).optional().describe(SUBJECT),
    resource: z.string().min(1).max(100).optional().describe("A resource key"),
    status: z.enum(GRANT_STATUSES).default("active"),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().min(1).max(200).optional().describe("nextCursor of the previous page"),
  })
  .strict();
export type TListGrantsQuery = z.infer<typeof ZListGrantsQuery>;

export const ZGrant = z.object({
  id: z.string(),
  subject: ZSubject,
  resource: z.string(),
  permissions: z.array(z.string()),
  startsAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  status: z.enum(["active", "scheduled", "expired", "revoked"]),
  requestId: z.string().nullable(),
});

export const ZListGrantsResponse = z.object({ grants: z.array(ZGrant), nextCursor: z.string().nullable() });

export const ZTokenRequest = z.object({
  grant_type: z.literal("client_credentials"),
  scope: z.string().optional().describe("Space-separated; default: every scope of the client"),
  client_id: z.string().optional().describe("Only without HTTP Basic"),
  client_secret: z.string().optional().describe("Only without HTTP Basic"),
});

export const ZTokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
  scope: z.string(),
});

export const ZOAuthError = z.object({
  error: z.enum([
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
  ]),
  error_description: z.string().optional(),
});

export const ZApiError = z.object({ error: z.string(), message: z.string() });

export const ZJwks = z.object({
  keys: z.array(
    z.object({
      kty: z.string(),
      crv: z.string(),
      x: z.string(),
      y: z.string(),
      kid: z.string(),
      alg: z.string(),
      use: z.string(),
    }),
  ),
});
