/**
 * The e2e suite runs the production build (`next build`; `npm start` serves the standalone
 * output, as the Docker image does) against the
 * development IdP started as an external issuer, so production's configuration checks
 * apply and the sign-in path is the one a company IdP uses.
 */
export const APP_PORT = Number(process.env.E2E_APP_PORT ?? 3100);
export const IDP_PORT = Number(process.env.E2E_IDP_PORT ?? 3101);
export const APP_URL = `http://localhost:${APP_PORT}`;
export const IDP_URL = `http://localhost:${IDP_PORT}`;
export const CLIENT_ID = "jit-portal-e2e";
export const CLIENT_SECRET = "e2e-client-secret-not-a-default";

export const appEnv = (): Record<string, string> => ({
  NODE_ENV: "production",
  PORT: String(APP_PORT),
  // The services API server that `npm start` runs next to the portal (and the rewrite's target).
  API_PORT: String(APP_PORT + 2),
  APP_URL,
  AUTH_SECRET: "e2e-auth-secret-0123456789abcdef0123456789",
  OIDC_ISSUER: IDP_URL,
  OIDC_CLIENT_ID: CLIENT_ID,
  OIDC_CLIENT_SECRET: CLIENT_SECRET,
  ADMIN_GROUPS: "portal-admins",
  SECURITY_GROUPS: "security-reviewers",
  NEXT_TELEMETRY_DISABLED: "1",
});
