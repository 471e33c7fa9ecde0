/**
 * The e2e suite runs the production build (`next build`; `npm start` serves the standalone
 * output, as the Docker image does) against the
 * development IdP started as an external issuer, so production's configuration checks
 * apply and the sign-in path is the one a company IdP uses.
 */
export const APP_PORT = Number(process.env.E2E_APP_PORT ?? 3100);
export const IDP_PORT = Number(process.env.E2E_IDP_PORT ?? 3101);
export const APP_URL = `http://localhost:${APP_PORT}`;
/** The Slack stand-in (e2e/support/slack-server.ts) the portal's Slack app talks to. */
// APP_PORT + 2 is the services API and + 7 the error-page spec's own server.
export const SLACK_PORT = Number(process.env.E2E_SLACK_PORT ?? APP_PORT + 9);
export const SLACK_TOKEN = "xoxb-e2e-0000000000-stand-in";
export const SLACK_SIGNING_SECRET = "e2e-slack-signing-secret-0123456789";
export const SLACK_CHANNEL = "C0E2EAPPROVALS";
/** The e2e people in the stand-in's workspace, by the e-mail their IdP verified. */
export const SLACK_USERS: Record<string, string> = {
  "pia.phone@example.com": "U0PIA",
  "quinn.chat@example.com": "U0QUINN",
};
export const IDP_URL = `http://localhost:${IDP_PORT}`;
export const CLIENT_ID = "jit-portal-e2e";
export const CLIENT_SECRET = "e2e-client-secret-not-a-default";

/**
 * The journeys sign in, confirm and request many times from 127.0.0.1 within minutes: limits
 * far above what they use. rate-limits.spec.ts fills one account's sign-in counter up to
 * SIGN_IN_ACCOUNT_LIMIT to see the lockout in the browser.
 */
export const SIGN_IN_ACCOUNT_LIMIT = 200;
export const SIGN_IN_WINDOW_SECONDS = 300;

/** Short, so a spec can see the aggregate of unauthenticated refusals written. */
export const UNAUTHENTICATED_AUDIT_WINDOW_SECONDS = 5;

/** The app's environment for given ports (the drills run the same setup on ports of their own). */
export const appEnvFor = (ports: { app: number; idp: number }): Record<string, string> => ({
  NODE_ENV: "production",
  PORT: String(ports.app),
  // The services API server that `npm start` runs next to the portal (and the rewrite's target).
  API_PORT: String(ports.app + 2),
  APP_URL: `http://localhost:${ports.app}`,
  AUTH_SECRET: "e2e-auth-secret-0123456789abcdef0123456789",
  // One secret per purpose, as production requires (ADR 0033).
  WEBHOOK_ENCRYPTION_SECRET: "e2e-webhook-encryption-secret-0123456789abcdef",
  SIGNING_KEY_ENCRYPTION_SECRET: "e2e-signing-key-encryption-secret-0123456789ab",
  CONNECTOR_ENCRYPTION_SECRET: "e2e-connector-encryption-secret-0123456789abcd",
  // The journeys' webhook receivers and the development IdP run on loopback (ADR 0032).
  OUTBOUND_ALLOWED_HOSTS: "localhost,127.0.0.0/8,[::1]",
  OIDC_ISSUER: `http://localhost:${ports.idp}`,
  OIDC_CLIENT_ID: CLIENT_ID,
  OIDC_CLIENT_SECRET: CLIENT_SECRET,
  ADMIN_GROUPS: "portal-admins",
  SECURITY_GROUPS: "security-reviewers",
  NEXT_TELEMETRY_DISABLED: "1",
  SIGN_IN_RATE_LIMIT_IP: "10000",
  SIGN_IN_RATE_LIMIT_ACCOUNT: String(SIGN_IN_ACCOUNT_LIMIT),
  SIGN_IN_RATE_LIMIT_WINDOW_SECONDS: String(SIGN_IN_WINDOW_SECONDS),
  STEP_UP_RATE_LIMIT_USER: "1000",
  STEP_UP_RATE_LIMIT_IP: "10000",
  REQUEST_RATE_LIMIT_USER: "1000",
  REQUEST_RATE_LIMIT_IP: "10000",
  // e2e/unauthenticated-flood.spec.ts waits for the web's aggregate of failed sign-ins.
  UNAUTHENTICATED_AUDIT_WINDOW_SECONDS: String(UNAUTHENTICATED_AUDIT_WINDOW_SECONDS),
  // Production refuses to start the web server and the maintenance worker without both (ADR 0028).
  AUDIT_ANCHOR_KEY: "lOT4dkH1QjZymVdCTDQhmnDiXhOYpCmxjVBrr5SqaQ4=",
  AUDIT_ANCHOR_SINK: process.env.AUDIT_ANCHOR_SINK ?? `file:.test-output/audit-anchors-e2e-${ports.app}.jsonl`,
});

/**
 * The e2e run's environment: also the Slack app, pointed at the Slack stand-in that
 * playwright.config.ts starts (the drills, which use appEnvFor, run without one).
 */
export const appEnv = (): Record<string, string> => ({
  ...appEnvFor({ app: APP_PORT, idp: IDP_PORT }),
  SLACK_BOT_TOKEN: SLACK_TOKEN,
  SLACK_SIGNING_SECRET,
  SLACK_API_URL: `http://127.0.0.1:${SLACK_PORT}/api/`,
  SLACK_APPROVAL_CHANNEL: SLACK_CHANNEL,
});

/** An e2e person whose IdP display name is a stored-text attack (e2e/hostile-stored-text.spec.ts). */
export const HOSTILE_NAME = `Mallory <img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`;
