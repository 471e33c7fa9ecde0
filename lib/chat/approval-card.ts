/**
 * What a chat message shows about one request, and its two renderings: Slack Block Kit and a
 * Teams Adaptive Card. Pure: the facts come from load-card-facts.ts. Every value a person typed
 * (justification, ticket, names) is escaped for the format it lands in, as in lib/notify.
 */
import { escapeMrkdwn } from "../notify";
import { formatUtc } from "../time";

export type TCardState =
  "pending" | "approved" | "denied" | "cancelled" | "expired" | "grant_scheduled" | "grant_active" | "grant_ended";

export type TCardFacts = {
  requestId: string;
  state: TCardState;
  breakGlass: boolean;
  requester: string;
  /** The teammate who filed it for the requester (ADR 0057), or null. */
  filedBy: string | null;
  resource: string;
  environment: string;
  permissions: string[];
  durationMinutes: number;
  justification: string;
  ticket: string | null;
  risk: { score: number; signals: string[] };
  approvals: { by: string[]; denials: string[]; needed: number };
  decideBy: Date;
  grant: { startsAt: Date; expiresAt: Date; endedAt: Date | null } | null;
};

/** Where the buttons lead: absolute URLs on the portal's origin. */
export type TCardLinks = { approve: string | null; deny: string | null; open: string; review?: string | null };

const STATE_LINE: Record<TCardState, string> = {
  pending: "Waiting for a decision",
  approved: "Approved",
  denied: "Denied",
  cancelled: "Cancelled by the requester",
  expired: "Expired: nobody decided in time",
  grant_scheduled: "Approved: the grant is scheduled",
  grant_active: "Approved: the grant is active",
  grant_ended: "Approved: the grant has ended",
};

export const stateLine = (facts: TCardFacts): string => {
  const base = STATE_LINE[facts.state];
  if (facts.state === "grant_scheduled" && facts.grant) return `${base} (starts ${formatUtc(facts.grant.startsAt)})`;
  if (facts.state === "grant_active" && facts.grant) return `${base} until ${formatUtc(facts.grant.expiresAt)}`;
  if (facts.state === "grant_ended" && facts.grant)
    return `${base} (${formatUtc(facts.grant.endedAt ?? facts.grant.expiresAt)})`;
  if (facts.state === "pending") return `${base} by ${formatUtc(facts.decideBy)}`;
  return base;
};

const oneLine = (value: string): string => value.replace(/[\r\n\t]+/g, " ").trim();
const clip = (value: string, max: number): string => (value.length <= max ? value : `${value.slice(0, max - 1)}…`);

export const cardTitle = (facts: TCardFacts): string =>
  facts.filedBy
    ? `${oneLine(facts.filedBy)} asks for ${facts.permissions.join(", ")} on ${oneLine(facts.resource)} for ${oneLine(facts.requester)}`
    : `${facts.breakGlass ? "Break-glass: " : ""}${oneLine(facts.requester)} asks for ${facts.permissions.join(", ")} on ${oneLine(facts.resource)}`;

export const approvalsLine = (facts: TCardFacts): string =>
  `${facts.approvals.by.length} of ${facts.approvals.needed}` +
  (facts.approvals.by.length > 0 ? ` (${facts.approvals.by.map(oneLine).join(", ")})` : "") +
  (facts.approvals.denials.length > 0 ? `; denied by ${facts.approvals.denials.map(oneLine).join(", ")}` : "");

/** The facts as label/value pairs, shared by both renderings. */
export const cardFields = (facts: TCardFacts): Array<[string, string]> => [
  ["Requester", facts.filedBy ? `${facts.requester} (filed by ${facts.filedBy})` : facts.requester],
  ["Resource", `${facts.resource} (${facts.environment})`],
  ["Permissions", facts.permissions.join(", ")],
  ["Duration", `${facts.durationMinutes} min`],
  ["Ticket", facts.ticket ?? "none"],
  [
    "Risk",
    `${facts.risk.score}${facts.risk.signals.length > 0 ? `: ${facts.risk.signals.join(" ")}` : " (no signals)"}`,
  ],
  ["Approvals", approvalsLine(facts)],
  ["Status", stateLine(facts)],
];

// ---------------------------------------------------------------------------------------
// Slack Block Kit
// ---------------------------------------------------------------------------------------

type TText = { type: "mrkdwn" | "plain_text"; text: string; emoji?: boolean };
export type TSlackBlock =
  | { type: "header"; text: TText }
  | { type: "section"; text?: TText; fields?: TText[] }
  | { type: "context"; elements: TText[] }
  | {
      type: "actions";
      block_id: string;
      elements: Array<{
        type: "button";
        action_id: string;
        text: TText;
        url: string;
        style?: "primary" | "danger";
        value?: string;
      }>;
    };

export type TSlackMessage = { text: string; blocks: TSlackBlock[] };

/** Block Kit's limits: header text 150, section text 3000, field text 2000, button text 75, url 3000. */
export const renderSlackMessage = (facts: TCardFacts, links: TCardLinks): TSlackMessage => {
  const fields = cardFields(facts).map(([label, value]) => ({
    type: "mrkdwn" as const,
    text: clip(`*${label}*\n${escapeMrkdwn(oneLine(value))}`, 2000),
  }));
  const buttons: Extract<TSlackBlock, { type: "actions" }>["elements"] = [];
  if (facts.state === "pending" && links.approve)
    buttons.push({
      type: "button",
      action_id: "approve",
      text: { type: "plain_text", text: "Approve..." },
      url: links.approve,
      style: "primary",
      value: facts.requestId,
    });
  if (facts.state === "pending" && links.deny)
    buttons.push({
      type: "button",
      action_id: "deny",
      text: { type: "plain_text", text: "Deny..." },
      url: links.deny,
      style: "danger",
      value: facts.requestId,
    });
  if (links.review)
    buttons.push({
      type: "button",
      action_id: "review",
      text: { type: "plain_text", text: "Post-incident review" },
      url: links.review,
      value: facts.requestId,
    });
  buttons.push({
    type: "button",
    action_id: "open",
    text: { type: "plain_text", text: "Open" },
    url: links.open,
    value: facts.requestId,
  });
  const title = clip(cardTitle(facts), 150);
  return {
    // The notification text and the fallback of clients that show no blocks.
    text: `${escapeMrkdwn(title)}: ${escapeMrkdwn(stateLine(facts))}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: title, emoji: false } },
      { type: "section", fields: fields.slice(0, 10) },
      {
        type: "section",
        text: { type: "mrkdwn", text: clip(`*Justification*\n${escapeMrkdwn(facts.justification)}`, 3000) },
      },
      { type: "context", elements: [{ type: "mrkdwn", text: escapeMrkdwn(stateLine(facts)) }] },
      { type: "actions", block_id: `request:${facts.requestId}`, elements: buttons },
    ],
  };
};

/** The blocks as readable text: the report's and the tests' view of a message. */
export const dumpSlackBlocks = (blocks: readonly TSlackBlock[]): string =>
  blocks
    .map((block) => {
      switch (block.type) {
        case "header":
          return `# ${block.text.text}`;
        case "section":
          return [block.text?.text, ...(block.fields ?? []).map((field) => field.text.replace("\n", ": "))]
            .filter(Boolean)
            .join("\n");
        case "context":
          return block.elements.map((element) => `(${element.text})`).join(" ");
        case "actions":
          return block.elements.map((button) => `[${button.text.text}](${button.url})`).join(" ");
      }
    })
    .join("\n");

// ---------------------------------------------------------------------------------------
// Microsoft Teams: an Adaptive Card 1.5 in the message envelope a Workflows webhook takes
// ---------------------------------------------------------------------------------------

export const ADAPTIVE_CARD_VERSION = "1.5";
export const ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json";

export type TAdaptiveCard = {
  $schema: string;
  type: "AdaptiveCard";
  version: string;
  body: Array<Record<string, unknown>>;
  actions: Array<{ type: "Action.OpenUrl"; title: string; url: string; style?: "positive" | "destructive" }>;
};

/** Text in an Adaptive Card's TextBlock is Markdown: a typed `[x](y)` or `*` must stay text. */
const escapeCardMarkdown = (value: string): string => value.replace(/([\\`*_{}[\]()#+\-.!<>|~])/g, "\\$1");

export const renderAdaptiveCard = (facts: TCardFacts, links: TCardLinks): TAdaptiveCard => {
  const actions: TAdaptiveCard["actions"] = [];
  if (facts.state === "pending" && links.approve)
    actions.push({ type: "Action.OpenUrl", title: "Approve...", url: links.approve, style: "positive" });
  if (facts.state === "pending" && links.deny)
    actions.push({ type: "Action.OpenUrl", title: "Deny...", url: links.deny, style: "destructive" });
  if (links.review) actions.push({ type: "Action.OpenUrl", title: "Post-incident review", url: links.review });
  actions.push({ type: "Action.OpenUrl", title: "Open", url: links.open });
  return {
    $schema: ADAPTIVE_CARD_SCHEMA,
    type: "AdaptiveCard",
    version: ADAPTIVE_CARD_VERSION,
    body: [
      { type: "TextBlock", text: escapeCardMarkdown(cardTitle(facts)), size: "Large", weight: "Bolder", wrap: true },
      {
        type: "FactSet",
        facts: cardFields(facts).map(([title, value]) => ({ title, value: escapeCardMarkdown(oneLine(value)) })),
      },
      { type: "TextBlock", text: "Justification", weight: "Bolder", wrap: true },
      { type: "TextBlock", text: escapeCardMarkdown(facts.justification), wrap: true },
    ],
    actions,
  };
};

/** The body a Teams Workflows "post to a channel when a webhook request is received" flow takes. */
export const teamsWebhookBody = (card: TAdaptiveCard) => ({
  type: "message",
  attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card }],
});
