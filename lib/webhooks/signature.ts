/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec/standard-webhooks.md):
 *
 *   signed content   = `${webhook-id}.${webhook-timestamp}.${body}`
 *   webhook-signature = space-separated list of `v1,<base64 HMAC-SHA256(key, signed content)>`
 *   key              = base64-decoded secret after its `whsec_` prefix
 *   webhook-timestamp = integer seconds since the epoch
 *
 * A receiver accepts when any `v1` entry matches (several appear while a secret rotates) and
 * the timestamp is within the tolerance on either side of its clock (replay protection).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { SECRET_PREFIX } from "./secrets";

const SIGNATURE_VERSION = "v1";

const secretKey = (secret: string): Buffer => {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, "base64");
  if (key.length === 0) throw new Error("webhook secret: empty key");
  return key;
};

const hmac = (secret: string, id: string, timestamp: number | string, body: string | Buffer): string =>
  createHmac("sha256", secretKey(secret))
    .update(`${id}.${timestamp}.`, "utf8")
    .update(typeof body === "string" ? Buffer.from(body, "utf8") : body)
    .digest("base64");

/** The `webhook-signature` header value for one message: `v1,<base64>`. */
export const signWebhook = (options: {
  secret: string;
  id: string;
  timestamp: number;
  body: string | Buffer;
}): string => `${SIGNATURE_VERSION},${hmac(options.secret, options.id, options.timestamp, options.body)}`;

type THeaderBag = Headers | Record<string, string | string[] | undefined>;

const header = (headers: THeaderBag, name: string): string | undefined => {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value.join(" ") : value;
};

const sameString = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  // Lengths are not secret (every v1 signature is 44 characters); only the content is.
  return left.length === right.length && timingSafeEqual(left, right);
};

export type TVerifyResult = { ok: true; id: string; timestamp: number } | { ok: false; reason: string };

/**
 * Checks a received message as the spec tells a receiver to. `body` must be the raw bytes
 * received, not a re-serialized parse of them.
 */
export const verifyWebhook = (options: {
  secret: string;
  headers: THeaderBag;
  body: string | Buffer;
  toleranceSeconds?: number;
  now?: Date;
}): TVerifyResult => {
  const tolerance = options.toleranceSeconds ?? 300;
  const id = header(options.headers, "webhook-id");
  const timestampText = header(options.headers, "webhook-timestamp");
  const signatures = header(options.headers, "webhook-signature");
  if (!id || !timestampText || !signatures)
    return { ok: false, reason: "missing webhook-id, webhook-timestamp or webhook-signature header" };
  if (!/^\d{1,15}$/.test(timestampText)) return { ok: false, reason: "invalid webhook-timestamp" };

  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (nowSeconds - timestamp > tolerance) return { ok: false, reason: "message timestamp too old" };
  if (timestamp - nowSeconds > tolerance) return { ok: false, reason: "message timestamp too new" };

  let expected: string;
  try {
    expected = hmac(options.secret, id, timestampText, options.body);
  } catch {
    return { ok: false, reason: "invalid secret" };
  }
  // Compare every entry (no early exit on a match) and ignore versions we do not know.
  let matched = false;
  for (const entry of signatures.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== SIGNATURE_VERSION) continue;
    if (sameString(entry.slice(comma + 1), expected)) matched = true;
  }
  return matched ? { ok: true, id, timestamp } : { ok: false, reason: "no matching signature" };
};
