import { z } from "zod";
import { QUEUE_NAMES, type TQueueName } from "./queue/definitions";
import { resolveSecretFiles, type TReadFile } from "./secret-files";

/**
 * Every environment variable the portal reads, validated once. Defaults serve local
 * development; production refuses to start on any of them that would be unsafe there.
 * `.env.example` documents each variable; keep the two in step.
 */

/** Shown to people; never valid in production. */
export const DEV_AUTH_SECRET = "development-only-secret-do-not-use-in-production";
export const DEV_OIDC_CLIENT_ID = "jit-portal-dev";
export const DEV_OIDC_CLIENT_SECRET = "development-only-client-secret";

const csv = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const url = (what: string) =>
  z.url({ error: `must be an absolute URL (${what})` }).transform((value) => value.replace(/\/+$/, ""));

const positiveInt = z.coerce.number().int().positive();

export const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/jit_access";

const ZEnv = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: url("postgresql://user@host:5432/db").default(DEFAULT_DATABASE_URL),
  REDIS_URL: url("redis://host:6379").default("redis://127.0.0.1:6379"),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]+$/, "only letters, digits, ':', '_' and '-'")
    .default("jit"),
  APP_URL: url("e.g. https://access.example.com").default("http://localhost:3000"),
  AUTH_SECRET: z.string().optional(),
  OIDC_ISSUER: url("the IdP's issuer").optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_SCOPES: z.string().default("openid email profile"),
  OIDC_GROUPS_CLAIM: z.string().min(1).default("groups"),
  OIDC_EMAIL_VERIFIED_CLAIM: z.string().min(1).default("email_verified"),
  OIDC_TRUST_EMAIL_ISSUERS: csv.optional(),
  ADMIN_GROUPS: csv.optional(),
  SECURITY_GROUPS: csv.optional(),
  WEBAUTHN_RP_ID: z.string().min(1).optional(),
  WEBAUTHN_RP_NAME: z.string().min(1).default("JIT Access"),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().min(3).default("JIT Access <jit-access@localhost>"),
  CHAT_WEBHOOK_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL (a Slack-compatible incoming webhook)" })
    .optional(),
  SESSION_IDLE_MINUTES: positiveInt.default(30),
  SESSION_MAX_HOURS: positiveInt.default(12),
  GRANT_WARNING_MINUTES: positiveInt.default(10),
  DENIAL_BURST_THRESHOLD: positiveInt.default(10),
  DENIAL_BURST_WINDOW_MINUTES: positiveInt.default(10),
  TRUST_PROXY: z.coerce
    .number({ error: "must be the number of proxies in front of the portal (0: none)" })
    .int()
    .min(0)
    .max(10)
    .default(0),
  SIGN_IN_RATE_LIMIT_IP: positiveInt.default(100),
  SIGN_IN_RATE_LIMIT_ACCOUNT: positiveInt.default(10),
  SIGN_IN_RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(300),
  STEP_UP_RATE_LIMIT_USER: positiveInt.default(30),
  STEP_UP_RATE_LIMIT_IP: positiveInt.default(300),
  STEP_UP_RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(300),
  REQUEST_RATE_LIMIT_USER: positiveInt.default(20),
  REQUEST_RATE_LIMIT_IP: positiveInt.default(200),
  REQUEST_RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(600),
  API_PORT: positiveInt.default(3002),
  API_HOST: z.string().min(1).default("127.0.0.1"),
  API_INTERNAL_URL: url("where the portal's origin reaches the API server, e.g. http://api:3002").optional(),
  API_NEXT_TO_WEB: z.enum(["true", "false"], { error: "must be true or false" }).default("true"),
  API_RATE_LIMIT: positiveInt.default(6000),
  API_RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(60),
  API_AUDIT_WINDOW_SECONDS: positiveInt.default(10),
  API_REPLICA_POLL_MS: positiveInt.max(1000).default(250),
  SERVICE_SECRET_OVERLAP_MINUTES: positiveInt.default(60),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  METRICS_TOKEN: z.string().min(32, "must be at least 32 characters (e.g. `openssl rand -hex 32`)").optional(),
  DEV_IDP_PORT: positiveInt.default(3001),
  DEV_SMTP_PORT: positiveInt.default(2525),
  WORKER_QUEUES: csv
    .refine((names) => names.length > 0, "name at least one queue")
    .refine((names) => names.every((name) => (QUEUE_NAMES as readonly string[]).includes(name)), {
      error: (issue) => `unknown queue in "${String(issue.input)}"; the queues are ${QUEUE_NAMES.join(", ")}`,
    })
    .transform((names) => names as TQueueName[])
    .optional(),
});

export type Config = {
  env: "development" | "production" | "test";
  isProduction: boolean;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  appUrl: string;
  authSecret: string;
  oidc: {
    issuer: string;
    clientId: string;
    clientSecret: string;
    scopes: string;
    groupsClaim: string;
    /** The ID-token claim that says the e-mail is verified; an unverified e-mail identifies nobody. */
    emailVerifiedClaim: string;
    /** Issuers whose `email` claim counts as verified without that claim (IdPs that never send it). */
    trustEmailIssuers: string[];
    /** True when no company IdP is configured and the built-in development IdP serves. */
    isDevIdp: boolean;
  };
  adminGroups: string[];
  securityGroups: string[];
  webauthn: { rpId: string; rpName: string; origin: string };
  smtpUrl: string | null;
  /** The From header of notification e-mail. */
  mailFrom: string;
  /** Slack-compatible incoming webhook for security notices; null means none are posted. */
  chatWebhookUrl: string | null;
  session: { idleMs: number; maxMs: number };
  /** How long before a grant ends its subject is warned. */
  grantWarningMs: number;
  /** The queues this worker process consumes (WORKER_QUEUES; all by default). */
  workerQueues: TQueueName[];
  /** Security is alerted when one person is denied this often within the window (once per window). */
  denialBurst: { threshold: number; windowMs: number };
  /**
   * How many proxies in front of the web server append to X-Forwarded-For (TRUST_PROXY). 0:
   * the header is a client's claim and is replaced by the connection's address
   * (lib/security/client-ip-hook.mjs).
   */
  trustProxy: number;
  /** Exact limits on the human flows, per user (or account) and per client IP (lib/security/rate-limit.ts). */
  rateLimits: {
    signIn: { perIp: number; perAccount: number; windowMs: number };
    stepUp: { perUser: number; perIp: number; windowMs: number };
    requests: { perUser: number; perIp: number; windowMs: number };
  };
  /** The services API server (api/server.ts). */
  api: {
    port: number;
    /** The interface the API server listens on (0.0.0.0 for a replica behind a load balancer). */
    host: string;
    /** Where the Next.js origin forwards /api/v1/* and /.well-known/jwks.json. */
    internalUrl: string;
    /** Whether `npm start` runs one API server next to the web server (false where the API has replicas of its own). */
    nextToWeb: boolean;
    /** Requests per client per window, on every API replica together (Redis-counted). */
    rateLimit: number;
    rateLimitWindowMs: number;
    /** Checks are audited as one aggregate event per client, outcome and window. */
    auditWindowMs: number;
    /** How often each replica polls the change sequence (at most 1 s). */
    replicaPollMs: number;
  };
  /** How long a rotated service client secret keeps working next to the new one. */
  serviceSecretOverlapMs: number;
  /** pino level of the structured JSON log on stdout. */
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Bearer token of /api/metrics; null means the endpoint answers 404. */
  metricsToken: string | null;
  devIdpPort: number;
  /** Port of the development SMTP listener that `npm run dev` starts. */
  devSmtpPort: number;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

const isLocalHttp = (value: string): boolean => {
  const parsed = new URL(value);
  return parsed.protocol === "https:" || LOCAL_HOSTS.has(parsed.hostname);
};

/** Validate an environment (pure but for reading `NAME_FILE` files). Throws ConfigError naming every bad variable. */
export const loadConfig = (
  source: Record<string, string | undefined>,
  options: { readFile?: TReadFile } = {},
): Config => {
  // Credentials may come from mounted files (NAME_FILE), see lib/secret-files.ts.
  const files = resolveSecretFiles(source, options.readFile);
  if (files.problems.length > 0) throw new ConfigError(files.problems);
  // Empty strings in .env files mean "unset", not "set to nothing".
  const env = Object.fromEntries(Object.entries(files.env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = ZEnv.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === "production";
  const problems: string[] = [];

  if (isProduction) {
    if (!e.AUTH_SECRET)
      problems.push("AUTH_SECRET: required in production (32+ random characters, e.g. `openssl rand -base64 32`)");
    else if (e.AUTH_SECRET === DEV_AUTH_SECRET)
      problems.push("AUTH_SECRET: is the development default; set a random secret");
    if (!e.OIDC_ISSUER) problems.push("OIDC_ISSUER: required in production (the development IdP never runs there)");
    if (!e.OIDC_CLIENT_ID) problems.push("OIDC_CLIENT_ID: required in production");
    if (!e.OIDC_CLIENT_SECRET) problems.push("OIDC_CLIENT_SECRET: required in production");
    else if (e.OIDC_CLIENT_SECRET === DEV_OIDC_CLIENT_SECRET)
      problems.push("OIDC_CLIENT_SECRET: is the development default");
    if (!isLocalHttp(e.APP_URL))
      problems.push("APP_URL: must be https:// in production (http is allowed only for localhost)");
    if (e.OIDC_ISSUER && !isLocalHttp(e.OIDC_ISSUER))
      problems.push("OIDC_ISSUER: must be https:// in production (http is allowed only for localhost)");
    if (!e.ADMIN_GROUPS?.length)
      problems.push("ADMIN_GROUPS: required in production (comma-separated IdP group names)");
    if (!e.SECURITY_GROUPS?.length)
      problems.push("SECURITY_GROUPS: required in production (comma-separated IdP group names)");
    // The webhook URL is itself the credential: never send it, or the notices, in clear text.
    if (e.CHAT_WEBHOOK_URL && !isLocalHttp(e.CHAT_WEBHOOK_URL))
      problems.push("CHAT_WEBHOOK_URL: must be https:// in production (http is allowed only for localhost)");
  }
  if (e.AUTH_SECRET && e.AUTH_SECRET.length < 32) problems.push("AUTH_SECRET: must be at least 32 characters");
  if (e.OIDC_ISSUER && (!e.OIDC_CLIENT_ID || !e.OIDC_CLIENT_SECRET)) {
    problems.push("OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: required when OIDC_ISSUER is set");
  }
  if (!e.OIDC_SCOPES.split(/\s+/).includes("openid")) problems.push("OIDC_SCOPES: must include `openid`");
  if (problems.length > 0) throw new ConfigError(problems);

  const isDevIdp = !e.OIDC_ISSUER;
  const appUrl = new URL(e.APP_URL);
  return {
    env: e.NODE_ENV,
    isProduction,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    appUrl: e.APP_URL,
    authSecret: e.AUTH_SECRET ?? DEV_AUTH_SECRET,
    oidc: {
      issuer: e.OIDC_ISSUER ?? `http://localhost:${e.DEV_IDP_PORT}`,
      clientId: e.OIDC_CLIENT_ID ?? DEV_OIDC_CLIENT_ID,
      clientSecret: e.OIDC_CLIENT_SECRET ?? DEV_OIDC_CLIENT_SECRET,
      scopes: e.OIDC_SCOPES,
      groupsClaim: e.OIDC_GROUPS_CLAIM,
      emailVerifiedClaim: e.OIDC_EMAIL_VERIFIED_CLAIM,
      trustEmailIssuers: e.OIDC_TRUST_EMAIL_ISSUERS ?? [],
      isDevIdp,
    },
    adminGroups: e.ADMIN_GROUPS ?? ["portal-admins"],
    securityGroups: e.SECURITY_GROUPS ?? ["security-reviewers"],
    webauthn: { rpId: e.WEBAUTHN_RP_ID ?? appUrl.hostname, rpName: e.WEBAUTHN_RP_NAME, origin: appUrl.origin },
    smtpUrl: e.SMTP_URL ?? (isProduction ? null : `smtp://127.0.0.1:${e.DEV_SMTP_PORT}`),
    mailFrom: e.MAIL_FROM,
    chatWebhookUrl: e.CHAT_WEBHOOK_URL ?? null,
    session: { idleMs: e.SESSION_IDLE_MINUTES * 60_000, maxMs: e.SESSION_MAX_HOURS * 3_600_000 },
    grantWarningMs: e.GRANT_WARNING_MINUTES * 60_000,
    workerQueues: e.WORKER_QUEUES ?? [...QUEUE_NAMES],
    denialBurst: { threshold: e.DENIAL_BURST_THRESHOLD, windowMs: e.DENIAL_BURST_WINDOW_MINUTES * 60_000 },
    trustProxy: e.TRUST_PROXY,
    rateLimits: {
      signIn: {
        perIp: e.SIGN_IN_RATE_LIMIT_IP,
        perAccount: e.SIGN_IN_RATE_LIMIT_ACCOUNT,
        windowMs: e.SIGN_IN_RATE_LIMIT_WINDOW_SECONDS * 1000,
      },
      stepUp: {
        perUser: e.STEP_UP_RATE_LIMIT_USER,
        perIp: e.STEP_UP_RATE_LIMIT_IP,
        windowMs: e.STEP_UP_RATE_LIMIT_WINDOW_SECONDS * 1000,
      },
      requests: {
        perUser: e.REQUEST_RATE_LIMIT_USER,
        perIp: e.REQUEST_RATE_LIMIT_IP,
        windowMs: e.REQUEST_RATE_LIMIT_WINDOW_SECONDS * 1000,
      },
    },
    api: {
      port: e.API_PORT,
      host: e.API_HOST,
      internalUrl: e.API_INTERNAL_URL ?? `http://127.0.0.1:${e.API_PORT}`,
      nextToWeb: e.API_NEXT_TO_WEB === "true",
      rateLimit: e.API_RATE_LIMIT,
      rateLimitWindowMs: e.API_RATE_LIMIT_WINDOW_SECONDS * 1000,
      auditWindowMs: e.API_AUDIT_WINDOW_SECONDS * 1000,
      replicaPollMs: e.API_REPLICA_POLL_MS,
    },
    serviceSecretOverlapMs: e.SERVICE_SECRET_OVERLAP_MINUTES * 60_000,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN ?? null,
    devIdpPort: e.DEV_IDP_PORT,
    devSmtpPort: e.DEV_SMTP_PORT,
  };
};

let cached: Config | undefined;

/** The process's configuration, validated on first use. */
export const getConfig = (): Config => {
  cached ??= loadConfig(process.env);
  return cached;
};
