import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Slack's request signing, version 0: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`
 * under the app's signing secret, in `X-Slack-Signature`, with the timestamp in
 * `X-Slack-Request-Timestamp`. A request older (or newer) than five minutes is refused, so a
 * captured request cannot be replayed later; within the window, the endpoint itself must be
 * idempotent (ours only acknowledges and records nothing a replay could double).
 */
export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type TSlackSignatureCheck =
  { ok: true } | { ok: false; reason: "missing_headers" | "bad_timestamp" | "stale_timestamp" | "bad_signature" };

export const slackSignature = (options: { signingSecret: string; timestamp: string; rawBody: string }): string =>
  `v0=${createHmac("sha256", options.signingSecret).update(`v0:${options.timestamp}:${options.rawBody}`).digest("hex")}`;

export const verifySlackSignature = (options: {
  signingSecret: string;
  rawBody: string;
  timestamp: string | null;
  signature: string | null;
  /** Seconds since the epoch; tests pass the instant of Slack's published example. */
  nowSeconds?: number;
}): TSlackSignatureCheck => {
  const { timestamp, signature } = options;
  if (!timestamp || !signature) return { ok: false, reason: "missing_headers" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad_timestamp" };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > SLACK_TIMESTAMP_TOLERANCE_SECONDS)
    return { ok: false, reason: "stale_timestamp" };
  const expected = Buffer.from(
    slackSignature({ signingSecret: options.signingSecret, timestamp, rawBody: options.rawBody }),
  );
  const given = Buffer.from(signature);
  // Compared in constant time; a length mismatch is a mismatch, not an exception.
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "bad_signature" };
  return { ok: true };
};
