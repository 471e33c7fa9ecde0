import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkAdaptiveCard } from "../testing/adaptive-card-schema";
import {
  ADAPTIVE_CARD_VERSION,
  dumpSlackBlocks,
  renderAdaptiveCard,
  renderSlackMessage,
  teamsWebhookBody,
  type TCardFacts,
} from "./approval-card";

const facts = (overrides: Partial<TCardFacts> = {}): TCardFacts => ({
  requestId: "01930000-0000-7000-8000-000000000001",
  state: "pending",
  breakGlass: false,
  requester: "Alice <@U123> Engineer",
  filedBy: null,
  resource: "Production PostgreSQL",
  environment: "production",
  permissions: ["write"],
  durationMinutes: 30,
  justification: "Backfill [click](https://evil.example) <!channel> & *bold*",
  ticket: "INC-4211",
  risk: { score: 3, signals: ["First request by this person."] },
  approvals: { by: [], denials: [], needed: 2 },
  decideBy: new Date("2026-12-05T10:00:00Z"),
  grant: null,
  ...overrides,
});
const links = {
  approve: "https://access.example.com/requests/1?decision=approve",
  deny: "https://access.example.com/requests/1?decision=deny",
  open: "https://access.example.com/requests/1",
};

describe("Slack Block Kit message", () => {
  it("shows every fact, escapes what people typed, and offers Approve..., Deny... and Open while pending", () => {
    const message = renderSlackMessage(facts(), links);
    const text = dumpSlackBlocks(message.blocks);
    assert.match(text, /\*Requester\*: Alice &lt;@U123&gt; Engineer/);
    assert.match(text, /&lt;!channel&gt; &amp; \*bold\*/);
    assert.match(text, /\*Approvals\*: 0 of 2/);
    assert.match(text, /\*Risk\*: 3: First request/);
    const actions = message.blocks.find((block) => block.type === "actions");
    assert.deepEqual(
      actions?.type === "actions" ? actions.elements.map((button) => [button.text.text, button.style ?? null]) : [],
      [
        ["Approve...", "primary"],
        ["Deny...", "danger"],
        ["Open", null],
      ],
    );
  });

  it("names the teammate who filed a request for someone else, in the title and beside the requester", () => {
    const message = renderSlackMessage(facts({ requester: "Nina Next", filedBy: "Otto Oncall" }), links);
    const text = dumpSlackBlocks(message.blocks);
    assert.match(text, /Otto Oncall asks for write on Production PostgreSQL for Nina Next/);
    assert.match(text, /\*Requester\*: Nina Next \(filed by Otto Oncall\)/);
    assert.doesNotMatch(dumpSlackBlocks(renderSlackMessage(facts(), links).blocks), /filed by/);
  });

  it("keeps within Block Kit's limits for very long input", () => {
    const message = renderSlackMessage(
      facts({ justification: "x".repeat(10_000), requester: "y".repeat(500), permissions: Array(200).fill("perm") }),
      links,
    );
    for (const block of message.blocks) {
      if (block.type === "header") assert.ok(block.text.text.length <= 150);
      if (block.type === "section") {
        assert.ok((block.text?.text.length ?? 0) <= 3000);
        assert.ok((block.fields ?? []).length <= 10);
        for (const field of block.fields ?? []) assert.ok(field.text.length <= 2000);
      }
      if (block.type === "actions") for (const button of block.elements) assert.ok(button.url.length <= 3000);
    }
    assert.ok(message.blocks.length <= 50);
  });

  it("drops the decision buttons once decided and says how it ended", () => {
    const done = renderSlackMessage(
      facts({
        state: "grant_active",
        approvals: { by: ["Bob", "Carol"], denials: [], needed: 2 },
        grant: {
          startsAt: new Date("2026-12-04T10:00:00Z"),
          expiresAt: new Date("2026-12-04T10:30:00Z"),
          endedAt: null,
        },
      }),
      links,
    );
    const text = dumpSlackBlocks(done.blocks);
    assert.doesNotMatch(text, /Approve\.\.\.|Deny\.\.\./);
    assert.match(text, /2 of 2 \(Bob, Carol\)/);
    assert.match(text, /Approved: the grant is active until 2026-12-04 10:30 UTC/);
  });
});

describe("Teams Adaptive Card", () => {
  it("validates against the Adaptive Card schema version it declares", () => {
    for (const state of ["pending", "approved", "denied", "grant_active"] as const) {
      const card = renderAdaptiveCard(facts({ state }), links);
      assert.equal(card.version, ADAPTIVE_CARD_VERSION);
      assert.deepEqual(checkAdaptiveCard(card), []);
    }
  });

  it("has its Open actions as links, and the typed Markdown stays text", () => {
    const card = renderAdaptiveCard(facts(), links);
    assert.deepEqual(
      card.actions.map((action) => [action.type, action.title, action.url]),
      [
        ["Action.OpenUrl", "Approve...", links.approve],
        ["Action.OpenUrl", "Deny...", links.deny],
        ["Action.OpenUrl", "Open", links.open],
      ],
    );
    assert.match(JSON.stringify(card.body), /\\\\\[click\\\\\]\\\\\(https:\/\/evil\\\\\.example\\\\\)/);
    const envelope = teamsWebhookBody(card);
    assert.equal(envelope.attachments[0]?.contentType, "application/vnd.microsoft.card.adaptive");
  });

  it("the schema check itself refuses what the schema does not allow", () => {
    const card = renderAdaptiveCard(facts(), links);
    assert.match(checkAdaptiveCard({ ...card, version: "1.1" }).join("\n"), /style: needs schema 1\.2/);
    assert.match(checkAdaptiveCard({ ...card, body: [{ type: "TextBlock" }] }).join("\n"), /text: required/);
    assert.match(checkAdaptiveCard({ ...card, body: [{ type: "Marquee", text: "x" }] }).join("\n"), /unknown element/);
    assert.match(
      checkAdaptiveCard({ ...card, actions: [{ type: "Action.OpenUrl", title: "x" }] }).join("\n"),
      /url: required/,
    );
    assert.match(
      checkAdaptiveCard({ ...card, body: [{ type: "FactSet", facts: [{ title: "x" }] }] }).join("\n"),
      /value: required/,
    );
    assert.match(
      checkAdaptiveCard({ ...card, body: [{ type: "TextBlock", text: "x", size: "huge" }] }).join("\n"),
      /size/,
    );
  });
});
