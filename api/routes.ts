/**
 * The services API's route table: every path the server answers and the methods it allows.
 * The server refuses any path not listed here (404) before dispatching, and the e2e
 * authorization matrix (e2e/authz/) reads this list, so a new route without a matrix row
 * fails that suite.
 */
export const API_ROUTES = {
  "/api/v1/access/check": ["POST"],
  "/api/v1/grants": ["GET"],
  // Usage signals from services (scope signals:write, ADR 0042).
  "/api/v1/signals": ["POST"],
  "/api/v1/oauth/token": ["POST"],
  // RFC 8628 3.1, for the `jit` CLI; the engineers' /api/v1/me/* routes are in api/me.ts (ME_ROUTES).
  "/api/v1/oauth/device_authorization": ["POST"],
  "/.well-known/jwks.json": ["GET"],
  "/api/v1/openapi.json": ["GET"],
  // Liveness for the orchestrator: any method, nothing about users or grants.
  "/healthz": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
} as const satisfies Record<string, readonly string[]>;

export type TApiPath = keyof typeof API_ROUTES;

export const isApiPath = (path: string): path is TApiPath => Object.hasOwn(API_ROUTES, path);
