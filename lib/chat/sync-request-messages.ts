/**
 * The chat.sync job: makes every chat message about one request show the request as it is
 * now. The first run posts (chat.postMessage) and keeps Slack's channel and ts; every later
 * run edits that same message (chat.update), so a channel never keeps a stale "pending".
 * Jobs may run in any order or twice: each renders the present from PostgreSQL, and a
 * per-request advisory lock keeps two runs from both posting a first message.
 */
import { z } from "zod";
import { getConfig } from "../config";
import { db } from "../db";
import { ZChatSyncPayload } from "../queue/definitions";
import { absoluteLink } from "../notify/render";
import type { TOutboundPolicy } from "../security/outbound";
import {
  renderAdaptiveCard,
  renderSlackMessage,
  teamsWebhookBody,
  type TCardFacts,
  type TCardLinks,
} from "./approval-card";
import { decisionLinkPath } from "./decision-link";
import { loadCardFacts } from "./load-card-facts";
import { jobErrorFor, slackClient, slackErrorCode, type TSlackSettings } from "./slack-client";
import { postTeamsCard } from "./post-teams-card";

export { ZChatSyncPayload };
export type TChatSyncPayload = z.infer<typeof ZChatSyncPayload>;

export type TChatSettings = {
  appUrl: string;
  slack: (TSlackSettings & { approvalChannel: string | null; securityChannel: string | null }) | null;
  teamsWebhookUrl: string | null;
  outboundPolicy?: TOutboundPolicy;
};

const settingsFromConfig = (): TChatSettings => {
  const config = getConfig();
  return {
    appUrl: config.appUrl,
    slack: config.slack
      ? {
          botToken: config.slack.botToken,
          apiUrl: config.slack.apiUrl,
          approvalChannel: config.slack.approvalChannel,
          securityChannel: config.slack.securityChannel,
        }
      : null,
    teamsWebhookUrl: config.teamsWebhookUrl,
  };
};

const log = (event: string, fields: Record<string, unknown> = {}): void =>
  console.log(JSON.stringify({ at: new Date().toISOString(), event, ...fields }));

const absolute = (path: string, appUrl: string): string => absoluteLink(path, appUrl) ?? appUrl;

/** Channel buttons: anyone in the channel may press them, so they preselect and sign nothing. */
const channelLinks = (facts: TCardFacts, appUrl: string): TCardLinks => ({
  approve: absolute(`/requests/${facts.requestId}?decision=approve`, appUrl),
  deny: absolute(`/requests/${facts.requestId}?decision=deny`, appUrl),
  open: absolute(`/requests/${facts.requestId}`, appUrl),
  review: facts.breakGlass ? absolute("/security/break-glass", appUrl) : null,
});

/** A DM's buttons: signed, short-lived, single-use, for this approver and this request. */
const approverLinks = (facts: TCardFacts, approverId: string, appUrl: string, now: Date): TCardLinks => ({
  approve: absolute(decisionLinkPath({ requestId: facts.requestId, approverId, decision: "APPROVE", now }), appUrl),
  deny: absolute(decisionLinkPath({ requestId: facts.requestId, approverId, decision: "DENY", now }), appUrl),
  open: absolute(`/requests/${facts.requestId}`, appUrl),
});

type TTarget = { target: string; approverId: string | null; links: TCardLinks };

/** The approvers' Slack ids: an explicit link first, else users.lookupByEmail on a verified e-mail, cached. */
const slackApprovers = async (
  client: ReturnType<typeof slackClient>,
  options: { approverGroups: string[]; parties: Array<string | null> },
): Promise<Array<{ userId: string; slackUserId: string }>> => {
  const approvers = await db.user.findMany({
    // Neither party of the request decides it: the requester, nor a teammate who filed it (ADR 0057).
    where: {
      groups: { hasSome: options.approverGroups },
      deactivatedAt: null,
      id: { notIn: options.parties.filter((id): id is string => id !== null) },
    },
    select: { id: true, email: true },
    orderBy: { id: "asc" },
    take: 50,
  });
  const links = await db.slackUserLink.findMany({ where: { userId: { in: approvers.map((a) => a.id) } } });
  const known = new Map(links.map((link) => [link.userId, link.slackUserId]));
  const found: Array<{ userId: string; slackUserId: string }> = [];
  for (const approver of approvers) {
    let slackUserId = known.get(approver.id);
    // User.email is set only when the IdP vouched for it (ADR 0027): never look up anything else.
    if (!slackUserId && approver.email) {
      try {
        const answer = await client.users.lookupByEmail({ email: approver.email });
        slackUserId = answer.user?.id;
        if (slackUserId)
          await db.slackUserLink.upsert({
            where: { userId: approver.id },
            create: { userId: approver.id, slackUserId, source: "email" },
            update: {},
          });
      } catch (error) {
        // Not in the workspace: no DM, the channel message still reaches them.
        if (slackErrorCode(error) !== "users_not_found") throw jobErrorFor(error, "users.lookupByEmail");
      }
    }
    if (slackUserId) found.push({ userId: approver.id, slackUserId });
  }
  return found;
};

const syncSlack = async (requestId: string, settings: TChatSettings, now: Date) => {
  const slack = settings.slack;
  if (!slack) return { posted: 0, updated: 0, skipped: "Slack is not configured" };
  const loaded = await loadCardFacts(requestId, now);
  if (!loaded) return { posted: 0, updated: 0, skipped: "request not found" };
  const { facts } = loaded;
  const client = slackClient(slack);

  const channel = facts.breakGlass
    ? (slack.securityChannel ?? slack.approvalChannel)
    : (loaded.resourceChannel ?? slack.approvalChannel);
  const targets: TTarget[] = channel
    ? [{ target: channel, approverId: null, links: channelLinks(facts, settings.appUrl) }]
    : [];
  // DMs go to approvers while there is something to decide; later states update what was sent.
  const existingDms = await db.chatMessage.findMany({
    where: { requestId, provider: "slack", approverId: { not: null } },
    select: { target: true, approverId: true },
  });
  const dmTargets =
    facts.state === "pending" && !facts.breakGlass
      ? await slackApprovers(client, {
          approverGroups: loaded.approverGroups,
          parties: [loaded.requesterId, loaded.filedById],
        })
      : existingDms.map((dm) => ({ userId: dm.approverId as string, slackUserId: dm.target }));
  for (const dm of dmTargets)
    targets.push({
      target: dm.slackUserId,
      approverId: dm.userId,
      links: approverLinks(facts, dm.userId, settings.appUrl, now),
    });

  let posted = 0;
  let updated = 0;
  await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`select pg_advisory_xact_lock(hashtextextended(${`chat:slack:${requestId}`}, 0))`;
      for (const target of targets) {
        const message = renderSlackMessage(facts, target.links);
        const existing = await tx.chatMessage.findUnique({
          where: { requestId_provider_target: { requestId, provider: "slack", target: target.target } },
        });
        if (existing?.channel && existing.ts) {
          try {
            await client.chat.update({
              channel: existing.channel,
              ts: existing.ts,
              text: message.text,
              blocks: message.blocks,
            });
          } catch (error) {
            throw jobErrorFor(error, `chat.update in ${existing.channel}`);
          }
          await tx.chatMessage.update({ where: { id: existing.id }, data: { lastState: facts.state } });
          updated += 1;
          continue;
        }
        let answer;
        try {
          answer = await client.chat.postMessage({
            channel: target.target,
            text: message.text,
            blocks: message.blocks,
            unfurl_links: false,
            unfurl_media: false,
          });
        } catch (error) {
          throw jobErrorFor(error, `chat.postMessage to ${target.target}`);
        }
        if (!answer.channel || !answer.ts) throw new Error("Slack answered chat.postMessage without channel and ts");
        await tx.chatMessage.upsert({
          where: { requestId_provider_target: { requestId, provider: "slack", target: target.target } },
          create: {
            requestId,
            provider: "slack",
            target: target.target,
            approverId: target.approverId,
            channel: answer.channel,
            ts: answer.ts,
            lastState: facts.state,
          },
          update: { channel: answer.channel, ts: answer.ts, lastState: facts.state },
        });
        posted += 1;
      }
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
  log("chat.synced", { provider: "slack", requestId, state: facts.state, posted, updated });
  return { posted, updated };
};

/**
 * Teams Workflows webhooks cannot edit a posted card: each state change posts the card anew,
 * and only the states a channel must hear of (waiting, decided, ended) are posted.
 */
const syncTeams = async (requestId: string, settings: TChatSettings, now: Date) => {
  if (!settings.teamsWebhookUrl) return { posted: 0, updated: 0, skipped: "Teams is not configured" };
  const loaded = await loadCardFacts(requestId, now);
  if (!loaded) return { posted: 0, updated: 0, skipped: "request not found" };
  const { facts } = loaded;
  const last = await db.chatMessage.findUnique({
    where: { requestId_provider_target: { requestId, provider: "teams", target: "webhook" } },
  });
  if (last?.lastState === facts.state) return { posted: 0, updated: 0, skipped: "already posted" };
  const card = renderAdaptiveCard(facts, channelLinks(facts, settings.appUrl));
  await postTeamsCard({ url: settings.teamsWebhookUrl, body: teamsWebhookBody(card), policy: settings.outboundPolicy });
  await db.chatMessage.upsert({
    where: { requestId_provider_target: { requestId, provider: "teams", target: "webhook" } },
    create: { requestId, provider: "teams", target: "webhook", lastState: facts.state },
    update: { lastState: facts.state },
  });
  return { posted: 1, updated: 0 };
};

/** The chat.sync job's one call. Throws to retry; permanent Slack errors fail the job at once. */
export const syncRequestMessages = async (
  options: TChatSyncPayload & { settings?: TChatSettings; now?: Date },
): Promise<{ posted: number; updated: number; skipped?: string }> => {
  const { requestId, provider } = ZChatSyncPayload.parse({ requestId: options.requestId, provider: options.provider });
  const settings = options.settings ?? settingsFromConfig();
  const now = options.now ?? new Date();
  return provider === "slack" ? syncSlack(requestId, settings, now) : syncTeams(requestId, settings, now);
};
