/**
 * Slack's interactivity requests (the Request URL of deploy/slack/app-manifest.yaml). Our
 * buttons are link buttons: the browser opens the portal, and Slack also tells this endpoint
 * that a button was pressed. Nothing is decided here (a decision needs the passkey on the
 * portal's page), so the endpoint only authenticates the request and acknowledges it at once,
 * well within Slack's three seconds: one HMAC, one Redis SET.
 *
 * Refused: a missing or wrong signature, a timestamp more than five minutes off, and the same
 * signed request a second time (its signature is remembered for ten minutes, longer than the
 * window in which a timestamp is accepted). Unauthenticated traffic is counted in logs, never
 * written to the audit chain (docs/design.md invariant 10).
 */
import { z } from "zod";
import { redis, redisKey } from "../redis";
import { verifySlackSignature } from "./slack-signature";

const MAX_BODY_BYTES = 64 * 1024;
const SEEN_SECONDS = 10 * 60;

export type TSlackInteractionResult = { status: number; body: Record<string, unknown> };

const ZInteraction = z.object({
  type: z.string().max(100),
  user: z.object({ id: z.string().max(64) }).optional(),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).optional(),
});

export type TSeenStore = { firstSeen: (key: string, seconds: number) => Promise<boolean> };

const redisSeenStore: TSeenStore = {
  firstSeen: async (key, seconds) =>
    (await redis().set(redisKey("slack", "seen", key), "1", "EX", seconds, "NX")) === "OK",
};

const log = (event: string, fields: Record<string, unknown> = {}): void =>
  console.log(JSON.stringify({ at: new Date().toISOString(), event, ...fields }));

export const handleSlackInteraction = async (options: {
  signingSecret: string | null;
  rawBody: string;
  timestamp: string | null;
  signature: string | null;
  contentType: string | null;
  seen?: TSeenStore;
  nowSeconds?: number;
}): Promise<TSlackInteractionResult> => {
  if (!options.signingSecret) return { status: 404, body: { error: "not_configured" } };
  if (Buffer.byteLength(options.rawBody) > MAX_BODY_BYTES) return { status: 413, body: { error: "too_large" } };
  const verdict = verifySlackSignature({
    signingSecret: options.signingSecret,
    rawBody: options.rawBody,
    timestamp: options.timestamp,
    signature: options.signature,
    ...(options.nowSeconds !== undefined ? { nowSeconds: options.nowSeconds } : {}),
  });
  if (!verdict.ok) {
    log("slack.interaction.refused", { reason: verdict.reason });
    return { status: 401, body: { error: verdict.reason } };
  }
  if (!(await (options.seen ?? redisSeenStore).firstSeen(options.signature as string, SEEN_SECONDS))) {
    log("slack.interaction.refused", { reason: "replay" });
    return { status: 401, body: { error: "replayed" } };
  }
  if ((options.contentType ?? "").split(";")[0]?.trim() !== "application/x-www-form-urlencoded")
    return { status: 400, body: { error: "expected application/x-www-form-urlencoded with a payload field" } };
  let parsed: z.infer<typeof ZInteraction>;
  try {
    const payload = new URLSearchParams(options.rawBody).get("payload");
    if (!payload) return { status: 400, body: { error: "no payload field" } };
    const result = ZInteraction.safeParse(JSON.parse(payload));
    if (!result.success) return { status: 400, body: { error: "payload is not an interaction" } };
    parsed = result.data;
  } catch {
    return { status: 400, body: { error: "payload is not JSON" } };
  }
  log("slack.interaction", { type: parsed.type, actions: parsed.actions?.map((action) => action.action_id) ?? [] });
  // An empty 200 is Slack's acknowledgement; the link button has already opened the portal.
  return { status: 200, body: {} };
};
