import { z } from "zod";
import { AnchorKeyError, DEV_AUDIT_ANCHOR_KEY, parseAnchorKey } from "./audit/anchors/anchor-key";
import { QUEUE_NAMES, type TQueueName } from "./queue/definitions";
import { resolveSecretFiles, type TReadFile } from "./secret-files";
import { DEVELOPMENT_ALLOWED_HOSTS, parseAllowList, type TAllowEntry } from "./security/outbound/allow-list";

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
  WEBHOOK_ENCRYPTION_SECRET: z.string().optional(),
  WEBHOOK_ENCRYPTION_SECRET_PREVIOUS: z.string().optional(),
  SIGNING_KEY_ENCRYPTION_SECRET: z.string().optional(),
  SIGNING_KEY_ENCRYPTION_SECRET_PREVIOUS: z.string().optional(),
  CONNECTOR_ENCRYPTION_SECRET: z.string().optional(),
  CONNECTOR_ENCRYPTION_SECRET_PREVIOUS: z.string().optional(),
  OUTBOUND_ALLOWED_HOSTS: z.string().optional(),
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
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xox[bp]-/, "must be a Slack bot token (xoxb-…)")
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(16, "must be the app's signing secret (Basic Information)").optional(),
  SLACK_APPROVAL_CHANNEL: z
    .string()
    .regex(/^[CG][A-Z0-9]{2,}$/, "must be a Slack channel id (C…), not its name")
    .optional(),
  SLACK_SECURITY_CHANNEL: z
    .string()
    .regex(/^[CG][A-Z0-9]{2,}$/, "must be a Slack channel id (C…), not its name")
    .optional(),
  SLACK_API_URL: url("e.g. https://slack.com/api/").default("https://slack.com/api/"),
  TEAMS_WEBHOOK_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL (a Teams Workflows webhook)" })
    .optional(),
  SESSION_IDLE_MINUTES: positiveInt.default(30),
  SESSION_MAX_HOURS: positiveInt.default(12),
  PRIVILEGED_SESSION_MAX_MINUTES: positiveInt.default(60),
  GRANT_WARNING_MINUTES: positiveInt.default(10),
  PROVISIONING_SWEEP_SECONDS: positiveInt.default(5),
  DRIFT_CHECK_MINUTES: positiveInt.default(5),
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
  /** Copies of the web server `npm start` runs on one port; unset: one per core but one. */
  WEB_CONCURRENCY: positiveInt.max(64).optional(),
  API_PORT: positiveInt.default(3002),
  API_HOST: z.string().min(1).default("127.0.0.1"),
  API_INTERNAL_URL: url("where the portal's origin reaches the API server, e.g. http://api:3002").optional(),
  API_NEXT_TO_WEB: z.enum(["true", "false"], { error: "must be true or false" }).default("true"),
  API_RATE_LIMIT: positiveInt.default(6000),
  API_RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(60),
  API_AUDIT_WINDOW_SECONDS: positiveInt.default(10),
  API_REPLICA_POLL_MS: positiveInt.max(1000).default(250),
  API_TRUST_PROXY: z.coerce
    .number({ error: "must be the number of proxies in front of the API server (0: none)" })
    .int()
    .min(0)
    .max(10)
    .optional(),
  API_TOKEN_RATE_LIMIT_IP: positiveInt.default(300),
  API_TOKEN_FAILURE_LIMIT_IP: positiveInt.default(30),
  API_TOKEN_FAILURE_LIMIT_CLIENT: positiveInt.default(10),
  API_TOKEN_RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(60),
  API_TOKEN_HASH_CONCURRENCY: positiveInt.max(64).default(1),
  API_TOKEN_HASH_QUEUE: z.coerce.number().int().min(0).max(10_000).default(16),
  UNAUTHENTICATED_AUDIT_WINDOW_SECONDS: positiveInt.default(60),
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
  // Audit anchoring (ADR 0028, docs/security.md "Audit log integrity").
  AUDIT_ANCHOR_KEY: z.string().optional(),
  AUDIT_ANCHOR_SINK: z
    .string()
    .regex(/^(file:.+|https?:\/\/.+)$/, "must be file:/path/to/anchors.jsonl or an https:// URL")
    .optional(),
  AUDIT_ANCHOR_SINK_TOKEN: z.string().min(1).optional(),
  AUDIT_ANCHOR_EVERY_MINUTES: positiveInt.max(1440).default(5),
});

export type Config = {
  env: "development" | "production" | "test";
  isProduction: boolean;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  appUrl: string;
  /** Encrypts the session cookie (next-auth). */
  authSecret: string;
  /**
   * The root secret of each sealed purpose (ADR 0033): its own variable in production, derived
   * from AUTH_SECRET in development. `previous` still decrypts during a rotation.
   */
  encryptionSecrets: Record<TEncryptionPurpose, { current: string; previous: string | null }>;
  /** Internal targets outbound calls may reach (OUTBOUND_ALLOWED_HOSTS, lib/security/outbound). */
  outbound: { allowed: TAllowEntry[] };
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
  /**
   * The Slack app (lib/chat): null when SLACK_BOT_TOKEN is unset. `apiUrl` is Slack's Web API
   * base (a local stand-in in tests). Channels are ids; a resource may name its own.
   */
  slack: {
    botToken: string;
    signingSecret: string | null;
    approvalChannel: string | null;
    securityChannel: string | null;
    apiUrl: string;
  } | null;
  /** A Teams Workflows webhook that receives the approval cards as Adaptive Cards; null: none. */
  teamsWebhookUrl: string | null;
  /**
   * `privilegedMaxMs`: a session whose person holds the admin or security role ends this long
   * after sign-in, so those roles are re-checked against the IdP's groups that often (ADR 0033).
   */
  session: { idleMs: number; maxMs: number; privilegedMaxMs: number };
  /** How long before a grant ends its subject is warned. */
  grantWarningMs: number;
  /** How often the worker closes ended grants still provisioned, from PostgreSQL alone (the bound on lingering access). */
  provisioningSweepMs: number;
  /** How often every connector's target is inspected for access no live grant explains. */
  driftCheckMs: number;
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
  /** The web server as `npm start` runs it. */
  web: {
    /** Copies of the standalone server sharing its port (lib/cli/web-cluster.mjs); null: one per core but one. */
    concurrency: number | null;
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
    /**
     * Proxies in front of the API server that append to X-Forwarded-For. Default TRUST_PROXY, plus
     * one when the portal's origin forwards to an API server on loopback (API_NEXT_TO_WEB).
     */
    trustProxy: number;
    /** The token endpoint's guards (docs/decisions/0025-token-endpoint-under-flood.md). */
    token: {
      /** Token requests per client address per window, whatever their outcome. */
      perIp: number;
      /** Failed client authentications per client address per window; past it, no more hashing for it. */
      failuresPerIp: number;
      /** Failed authentications per client id per window; past it, only addresses with no failure are verified. */
      failuresPerClient: number;
      windowMs: number;
      /** Secret hashes (scrypt) run at once, and how many may wait; past that, 503 with Retry-After. */
      hashConcurrency: number;
      hashQueue: number;
    };
  };
  /** Unauthenticated refusals on the web (garbage session cookies, failed callbacks) are audited once per window. */
  unauthenticatedAuditWindowMs: number;
  /** How long a rotated service client secret keeps working next to the new one. */
  serviceSecretOverlapMs: number;
  /** pino level of the structured JSON log on stdout. */
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Bearer token of /api/metrics; null means the endpoint answers 404. */
  metricsToken: string | null;
  devIdpPort: number;
  /** Port of the development SMTP listener that `npm run dev` starts. */
  devSmtpPort: number;
  /** Signed audit anchors (ADR 0028): the key, where they are kept, how often. */
  auditAnchor: {
    /** AUDIT_ANCHOR_KEY as given (PEM or base64 seed, lib/audit/anchors/anchor-key.ts); null when unset in production. */
    key: string | null;
    /** Where anchors are appended and read back from; null when unset in production. */
    sink: { kind: "file"; path: string } | { kind: "https"; url: string } | null;
    /** Bearer token for an HTTPS sink; null for none. */
    sinkToken: string | null;
    everyMs: number;
  };
};

/** The purposes with an encryption secret of their own (ADR 0033). */
export const ENCRYPTION_SECRET_VARIABLES = {
  "webhook-secrets": "WEBHOOK_ENCRYPTION_SECRET",
  "signing-keys": "SIGNING_KEY_ENCRYPTION_SECRET",
  "connector-credentials": "CONNECTOR_ENCRYPTION_SECRET",
} as const;
export type TEncryptionPurpose = keyof typeof ENCRYPTION_SECRET_VARIABLES;
type TEncryptionVariable = (typeof ENCRYPTION_SECRET_VARIABLES)[TEncryptionPurpose];

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

/**
 * Each encryption secret: 32+ characters wherever it is set; in production required, not a
 * development value, and different from AUTH_SECRET and from every other one (a secret that
 * leaks for one purpose must open nothing else). A `_PREVIOUS` must differ from its current.
 */
const encryptionSecretProblems = (
  e: Partial<Record<TEncryptionVariable | `${TEncryptionVariable}_PREVIOUS` | "AUTH_SECRET", string>>,
  isProduction: boolean,
): string[] => {
  const problems: string[] = [];
  const names = Object.values(ENCRYPTION_SECRET_VARIABLES);
  for (const name of names) {
    const value = e[name];
    const previous = e[`${name}_PREVIOUS`];
    if (value !== undefined && value.length < 32) problems.push(`${name}: must be at least 32 characters`);
    if (previous !== undefined && previous === value)
      problems.push(`${name}_PREVIOUS: equals ${name}; after a rotation they differ`);
    if (!isProduction) continue;
    if (value === undefined)
      problems.push(`${name}: required in production (32+ random characters, e.g. \`openssl rand -base64 32\`)`);
    else if (value === DEV_AUTH_SECRET) problems.push(`${name}: is the development default; set a random secret`);
  }
  if (isProduction) {
    const set = (["AUTH_SECRET", ...names] as const).filter((name) => e[name] !== undefined);
    for (const [index, name] of set.entries())
      for (const other of set.slice(index + 1))
        if (e[name] === e[other]) problems.push(`${name}, ${other}: must be different secrets (one per purpose)`);
  }
  return problems;
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
    if (e.TEAMS_WEBHOOK_URL && !isLocalHttp(e.TEAMS_WEBHOOK_URL))
      problems.push("TEAMS_WEBHOOK_URL: must be https:// in production (http is allowed only for localhost)");
    if (e.SLACK_API_URL && !isLocalHttp(e.SLACK_API_URL))
      problems.push("SLACK_API_URL: must be https:// in production (http is allowed only for localhost)");
    // Without the signing secret anyone could post to the interactivity endpoint.
    if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET)
      problems.push("SLACK_SIGNING_SECRET: required in production when SLACK_BOT_TOKEN is set");
  }
  // Audit anchoring: the key the database never holds (ADR 0028). Required in production by
  // the processes that sign or verify anchors (auditAnchoringProblems below), not by every one.
  if (isProduction && e.AUDIT_ANCHOR_KEY === DEV_AUDIT_ANCHOR_KEY)
    problems.push("AUDIT_ANCHOR_KEY: is the development default");
  if (isProduction && e.AUDIT_ANCHOR_SINK && /^https?:/.test(e.AUDIT_ANCHOR_SINK) && !isLocalHttp(e.AUDIT_ANCHOR_SINK))
    problems.push("AUDIT_ANCHOR_SINK: must be https:// in production (http is allowed only for localhost)");
  if (e.AUDIT_ANCHOR_KEY) {
    try {
      parseAnchorKey(e.AUDIT_ANCHOR_KEY);
    } catch (error) {
      if (!(error instanceof AnchorKeyError)) throw error;
      problems.push(`AUDIT_ANCHOR_KEY: ${error.message}`);
    }
  }
  if (e.AUDIT_ANCHOR_SINK && /^https?:/.test(e.AUDIT_ANCHOR_SINK) && !URL.canParse(e.AUDIT_ANCHOR_SINK))
    problems.push("AUDIT_ANCHOR_SINK: not a valid URL");
  if (e.AUTH_SECRET && e.AUTH_SECRET.length < 32) problems.push("AUTH_SECRET: must be at least 32 characters");
  problems.push(...encryptionSecretProblems(e, isProduction));
  const allowList = parseAllowList(
    e.OUTBOUND_ALLOWED_HOSTS ?? (e.NODE_ENV === "development" ? DEVELOPMENT_ALLOWED_HOSTS : ""),
  );
  problems.push(...allowList.problems.map((problem) => `OUTBOUND_ALLOWED_HOSTS: ${problem}`));
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
    encryptionSecrets: Object.fromEntries(
      Object.entries(ENCRYPTION_SECRET_VARIABLES).map(([purpose, name]) => [
        purpose,
        {
          // Outside production a purpose without its own secret uses AUTH_SECRET as its root; the
          // purpose's own HKDF info string still gives it a key of its own (lib/security/sealed.ts).
          current: e[name] ?? e.AUTH_SECRET ?? DEV_AUTH_SECRET,
          previous: e[`${name}_PREVIOUS`] ?? null,
        },
      ]),
    ) as Config["encryptionSecrets"],
    outbound: { allowed: allowList.entries },
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
    slack: e.SLACK_BOT_TOKEN
      ? {
          botToken: e.SLACK_BOT_TOKEN,
          signingSecret: e.SLACK_SIGNING_SECRET ?? null,
          approvalChannel: e.SLACK_APPROVAL_CHANNEL ?? null,
          securityChannel: e.SLACK_SECURITY_CHANNEL ?? null,
          apiUrl: e.SLACK_API_URL.endsWith("/") ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
        }
      : null,
    teamsWebhookUrl: e.TEAMS_WEBHOOK_URL ?? null,
    session: {
      idleMs: e.SESSION_IDLE_MINUTES * 60_000,
      maxMs: e.SESSION_MAX_HOURS * 3_600_000,
      privilegedMaxMs: e.PRIVILEGED_SESSION_MAX_MINUTES * 60_000,
    },
    grantWarningMs: e.GRANT_WARNING_MINUTES * 60_000,
    provisioningSweepMs: e.PROVISIONING_SWEEP_SECONDS * 1_000,
    driftCheckMs: e.DRIFT_CHECK_MINUTES * 60_000,
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
    web: { concurrency: e.WEB_CONCURRENCY ?? null },
    api: {
      port: e.API_PORT,
      host: e.API_HOST,
      internalUrl: e.API_INTERNAL_URL ?? `http://127.0.0.1:${e.API_PORT}`,
      nextToWeb: e.API_NEXT_TO_WEB === "true",
      rateLimit: e.API_RATE_LIMIT,
      rateLimitWindowMs: e.API_RATE_LIMIT_WINDOW_SECONDS * 1000,
      auditWindowMs: e.API_AUDIT_WINDOW_SECONDS * 1000,
      replicaPollMs: e.API_REPLICA_POLL_MS,
      trustProxy:
        e.API_TRUST_PROXY ??
        e.TRUST_PROXY + (e.API_NEXT_TO_WEB === "true" && /^(127\.0\.0\.1|::1|localhost)$/.test(e.API_HOST) ? 1 : 0),
      token: {
        perIp: e.API_TOKEN_RATE_LIMIT_IP,
        failuresPerIp: e.API_TOKEN_FAILURE_LIMIT_IP,
        failuresPerClient: e.API_TOKEN_FAILURE_LIMIT_CLIENT,
        windowMs: e.API_TOKEN_RATE_LIMIT_WINDOW_SECONDS * 1000,
        hashConcurrency: e.API_TOKEN_HASH_CONCURRENCY,
        hashQueue: e.API_TOKEN_HASH_QUEUE,
      },
    },
    unauthenticatedAuditWindowMs: e.UNAUTHENTICATED_AUDIT_WINDOW_SECONDS * 1000,
    serviceSecretOverlapMs: e.SERVICE_SECRET_OVERLAP_MINUTES * 60_000,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN ?? null,
    devIdpPort: e.DEV_IDP_PORT,
    devSmtpPort: e.DEV_SMTP_PORT,
    auditAnchor: {
      key: e.AUDIT_ANCHOR_KEY ?? (isProduction ? null : DEV_AUDIT_ANCHOR_KEY),
      sink: e.AUDIT_ANCHOR_SINK?.startsWith("file:")
        ? { kind: "file", path: e.AUDIT_ANCHOR_SINK.slice("file:".length) }
        : e.AUDIT_ANCHOR_SINK
          ? { kind: "https", url: e.AUDIT_ANCHOR_SINK }
          : isProduction
            ? null
            : // One file per development database: anchors of another database would not match.
              {
                kind: "file",
                path: `.dev/audit-anchors-${new URL(e.DATABASE_URL).pathname.slice(1) || "default"}.jsonl`,
              },
      sinkToken: e.AUDIT_ANCHOR_SINK_TOKEN ?? null,
      everyMs: e.AUDIT_ANCHOR_EVERY_MINUTES * 60_000,
    },
  };
};

/**
 * What a process that signs or verifies audit anchors (the web server, a worker on the
 * maintenance queue, `npm run audit:verify`) needs in production: the key and the sink. Each
 * such entry point refuses to start while this names a problem (ADR 0028); processes that do
 * neither (the services API, a webhooks-only worker, migrations) never hold the key.
 */
export const auditAnchoringProblems = (config: Config): string[] => {
  if (!config.isProduction) return [];
  const problems: string[] = [];
  if (!config.auditAnchor.key)
    problems.push(
      "AUDIT_ANCHOR_KEY: required in production (an Ed25519 key: `openssl genpkey -algorithm ed25519` or `openssl rand -base64 32`)",
    );
  if (!config.auditAnchor.sink)
    problems.push(
      "AUDIT_ANCHOR_SINK: required in production (file:/path on storage the database cannot write, or https://...)",
    );
  return problems;
};

let cached: Config | undefined;

/** The process's configuration, validated on first use. */
export const getConfig = (): Config => {
  cached ??= loadConfig(process.env);
  return cached;
};
