/**
 * A person links their Slack member id (ADR 0046): the portal DMs a one-time code to that id
 * and the person types it back (confirm-slack-link.ts). Receiving the DM is the proof that the
 * Slack account is theirs; an id typed alone proves nothing, so it links nothing.
 */
import { createHash, randomInt } from "node:crypto";
import { appendAuditEvent, recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { getConfig } from "../config";
import { db } from "../db";
import { AppError } from "../errors";
import { slackClient, slackErrorCode, type TSlackSettings } from "./slack-client";

export const SLACK_LINK_CODE_TTL_MS = 10 * 60_000;
export const SLACK_LINK_MAX_ATTEMPTS = 5;
/** Codes a person may ask for per hour: each is a DM to whatever id they typed. */
export const SLACK_LINK_CODES_PER_HOUR = 5;

// Slack member ids: U… (or W… on Enterprise Grid), upper-case letters and digits.
const SLACK_MEMBER_ID = /^[UW][A-Z0-9]{2,20}$/;

export const hashSlackLinkCode = (code: string): string => createHash("sha256").update(code, "utf8").digest("hex");

export const slackSettingsFromConfig = (): TSlackSettings | null => {
  const slack = getConfig().slack;
  return slack ? { botToken: slack.botToken, apiUrl: slack.apiUrl } : null;
};

export const slackAuditFields = (context: TAuditContext = {}) => ({
  ip: context.ip ?? null,
  userAgent: context.userAgent ?? null,
  requestId: context.requestId ?? null,
});

type TStartSlackLinkOptions = {
  actor: TUserActor;
  slackUserId: string;
  context?: TAuditContext;
  now?: Date;
  settings?: TSlackSettings | null;
};

/** Sends the code; answers when it expires. Refuses ids Slack does not know, with Slack's reason. */
export const startSlackLink = async ({
  actor,
  slackUserId: raw,
  context,
  now = new Date(),
  settings = slackSettingsFromConfig(),
}: TStartSlackLinkOptions): Promise<{ expiresAt: Date }> => {
  const slackUserId = typeof raw === "string" ? raw.trim() : "";
  if (!SLACK_MEMBER_ID.test(slackUserId))
    throw new AppError("INVALID_INPUT", "That is not a Slack member id.", {
      slackUserId: "A member id starts with U or W, e.g. U0123ABCD (Slack: your profile → ⋮ → Copy member ID).",
    });
  if (!settings) throw new AppError("CONFLICT", "Slack is not configured for this portal.");
  const recent = await db.slackLinkCode.count({
    where: { userId: actor.userId, createdAt: { gt: new Date(now.getTime() - 3_600_000) } },
  });
  if (recent >= SLACK_LINK_CODES_PER_HOUR)
    throw new AppError(
      "RATE_LIMITED",
      "Too many codes asked for. Try again in an hour.",
      {},
      { retryAfterSeconds: 3600 },
    );

  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  // Sent before anything is stored: a DM that Slack refuses leaves no code behind, and the
  // person sees Slack's reason on the form (not in Failed jobs: they are waiting for it).
  try {
    await slackClient(settings).chat.postMessage({
      channel: slackUserId,
      text: `Your JIT Access code is ${code}. Type it in the portal within 10 minutes to receive approval requests here. If you did not ask for it, ignore this message.`,
      unfurl_links: false,
      unfurl_media: false,
    });
  } catch (error) {
    const reason = slackErrorCode(error) ?? "Slack did not answer";
    await recordAuditEvent({
      actorType: "USER",
      actorId: actor.userId,
      action: "chat.slack_link.start",
      targetType: "slack_user",
      targetId: slackUserId,
      outcome: "DENIED",
      reason,
      ...slackAuditFields(context),
    });
    throw new AppError("INVALID_INPUT", `Slack could not deliver a code to ${slackUserId} (${reason}).`, {
      slackUserId: "Check the member id; the portal's Slack app must be in your workspace.",
    });
  }
  const expiresAt = new Date(now.getTime() + SLACK_LINK_CODE_TTL_MS);
  await db.$transaction(async (tx) => {
    // One code waits at a time: asking again retires the earlier one.
    await tx.slackLinkCode.updateMany({ where: { userId: actor.userId, usedAt: null }, data: { usedAt: now } });
    await tx.slackLinkCode.create({
      data: { userId: actor.userId, slackUserId, codeHash: hashSlackLinkCode(code), expiresAt, createdAt: now },
    });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "chat.slack_link.start",
      targetType: "slack_user",
      targetId: slackUserId,
      outcome: "ALLOWED",
      ...slackAuditFields(context),
    });
  });
  return { expiresAt };
};
