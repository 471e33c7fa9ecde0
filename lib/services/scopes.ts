/** The closed list of scopes a service client may hold, and the token's fixed claims. */
/** signals:write: report usage signals about people (POST /api/v1/signals, ADR 0042). */
export const SCOPES = ["access:check", "grants:read", "signals:write"] as const;
export type TScope = (typeof SCOPES)[number];

export const isScope = (value: string): value is TScope => (SCOPES as readonly string[]).includes(value);

/** `aud` of every service token: a token for another audience is refused. */
export const TOKEN_AUDIENCE = "jit-access";
/** docs/design.md invariant 5: service tokens live 15 minutes. */
export const TOKEN_TTL_SECONDS = 900;
export const TOKEN_ALG = "ES256";
