/**
 * The Slack Web API through Slack's own client (@slack/web-api). Every call goes through a
 * fetch that first vets the target with the outbound guard (lib/security/outbound, ADR 0032):
 * SLACK_API_URL may point at a local stand-in only when OUTBOUND_ALLOWED_HOSTS allows it.
 */
import { ErrorCode, WebClient, type WebAPICallError } from "@slack/web-api";
import { UnrecoverableError } from "bullmq";
import { type TOutboundPolicy, vetOutboundTarget } from "../security/outbound";

export type TSlackSettings = { botToken: string; apiUrl: string; outboundPolicy?: TOutboundPolicy };

// Bounded: a Slack that hangs costs one job attempt, not a worker slot.
const SLACK_TIMEOUT_MS = 10_000;

const guardedFetch =
  (policy: TOutboundPolicy | undefined): typeof fetch =>
  async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    await vetOutboundTarget({ host: url.hostname, port }, policy);
    return fetch(input, init);
  };

export const slackClient = (settings: TSlackSettings): WebClient =>
  new WebClient(settings.botToken, {
    slackApiUrl: settings.apiUrl,
    timeout: SLACK_TIMEOUT_MS,
    // A 429 waits out its Retry-After inside the client, then tries again; after these, the
    // job fails and BullMQ retries it with backoff, and after its attempts it is in Failed jobs.
    retryConfig: { retries: 2, factor: 1, minTimeout: 200, maxTimeout: 2_000 },
    rejectRateLimitedCalls: false,
    fetch: guardedFetch(settings.outboundPolicy),
    allowAbsoluteUrls: false,
  });

/** Errors that a retry cannot fix until someone changes the configuration or invites the app. */
const PERMANENT = new Set([
  "channel_not_found",
  "not_in_channel",
  "is_archived",
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "missing_scope",
  "invalid_blocks",
  "msg_too_long",
]);

const HINTS: Record<string, string> = {
  channel_not_found: "check the channel id, and that the app can see the channel",
  not_in_channel: "invite the app to the channel (/invite @JIT Access)",
  missing_scope: "reinstall the app with the scopes of deploy/slack/app-manifest.yaml",
};

/** Slack's error code of a failed call, if Slack gave one. */
export const slackErrorCode = (error: unknown): string | null => {
  const call = error as Partial<WebAPICallError> & { data?: { error?: string } };
  return call.code === ErrorCode.PlatformError ? (call.data?.error ?? null) : null;
};

/**
 * Turns a failed call into the error the job throws: permanent Slack errors fail the job at
 * once (listed in *Failed jobs* with the reason and a hint), anything else is retried.
 */
export const jobErrorFor = (error: unknown, where: string): Error => {
  const code = slackErrorCode(error);
  if (code && PERMANENT.has(code))
    return new UnrecoverableError(`Slack refused ${where}: ${code}${HINTS[code] ? ` (${HINTS[code]})` : ""}`);
  if (code) return new Error(`Slack refused ${where}: ${code}`);
  const call = error as { code?: string; message?: string };
  if (call.code === ErrorCode.RateLimitedError) return new Error(`Slack rate-limited ${where}; retrying`);
  return new Error(`Slack call for ${where} failed: ${call.code ?? "network"}`);
};
