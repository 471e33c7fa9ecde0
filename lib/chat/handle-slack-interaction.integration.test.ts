import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { redis } from "../redis";
import { handleSlackInteraction } from "./handle-slack-interaction";
import { slackSignature } from "./slack-signature";

after(() => redis().disconnect());

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
// A block_actions payload of the shape Slack documents for a pressed button.
const interaction = (value: string) =>
  `payload=${encodeURIComponent(
    JSON.stringify({
      type: "block_actions",
      user: { id: "U0APPROVER1", username: "approver", team_id: "T0FAKE" },
      api_app_id: "A0FAKE",
      container: { type: "message", message_ts: "1700000000.000100", channel_id: "C0APPROVALS" },
      trigger_id: "123.456.abc",
      team: { id: "T0FAKE", domain: "example" },
      channel: { id: "C0APPROVALS", name: "approvals" },
      response_url: "https://hooks.slack.com/actions/T0FAKE/1/abc",
      actions: [
        { action_id: "approve", block_id: `request:${value}`, value, type: "button", action_ts: "1700000001.1" },
      ],
    }),
  )}`;

const signed = (rawBody: string, timestamp = String(Math.floor(Date.now() / 1000))) => ({
  signingSecret: SECRET,
  rawBody,
  timestamp,
  signature: slackSignature({ signingSecret: SECRET, timestamp, rawBody }),
  contentType: "application/x-www-form-urlencoded",
});

describe("Slack interactivity endpoint", () => {
  it("acknowledges a signed button press at once, and refuses the same request replayed", async () => {
    const request = signed(interaction(crypto.randomUUID()));
    const started = performance.now();
    assert.deepEqual(await handleSlackInteraction(request), { status: 200, body: {} });
    assert.ok(performance.now() - started < 3_000, "within Slack's three seconds");
    assert.deepEqual(await handleSlackInteraction(request), { status: 401, body: { error: "replayed" } });
  });

  it("refuses an old timestamp, a forged signature, a tampered body and a missing signature", async () => {
    const old = String(Math.floor(Date.now() / 1000) - 6 * 60);
    assert.equal((await handleSlackInteraction(signed(interaction("x"), old))).body.error, "stale_timestamp");
    const forged = { ...signed(interaction("y")), signature: `v0=${"0".repeat(64)}` };
    assert.equal((await handleSlackInteraction(forged)).body.error, "bad_signature");
    const tampered = { ...signed(interaction("z")), rawBody: interaction("other") };
    assert.equal((await handleSlackInteraction(tampered)).status, 401);
    assert.equal(
      (await handleSlackInteraction({ ...signed("payload=%7B%7D"), signature: null })).body.error,
      "missing_headers",
    );
  });

  it("answers 404 when no signing secret is configured, and 400 to signed garbage", async () => {
    assert.equal((await handleSlackInteraction({ ...signed(interaction("a")), signingSecret: null })).status, 404);
    assert.equal((await handleSlackInteraction(signed("payload=not-json"))).status, 400);
    assert.equal((await handleSlackInteraction(signed(`payload=${encodeURIComponent('{"no":"type"}')}`))).status, 400);
    assert.equal((await handleSlackInteraction({ ...signed("a=b"), contentType: "application/json" })).status, 400);
  });
});
