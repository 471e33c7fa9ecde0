import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { startWebhookReceiver } from "../../testing/webhook-receiver";
import { generateSecret } from "../../webhooks/secrets";
import { runConformanceSuite } from "../conformance";
import { webhookConnector, type TWebhookConnectorSettings, ZWebhookConnectorSettings } from "./webhook";

// Webhooks as one connector among others, against a real HTTP receiver that verifies signatures.
runConformanceSuite<TWebhookConnectorSettings>({
  name: "Webhook",
  connector: webhookConnector,
  permissions: ["read"],
  setup: async () => {
    const receiver = await startWebhookReceiver(generateSecret());
    return {
      context: {
        connectorId: randomUUID(),
        resourceKey: "prod-postgres",
        settings: ZWebhookConnectorSettings.parse({ url: receiver.url, inspectUrl: receiver.inspectUrl }),
        credential: receiver.secret,
        mapping: { read: ["app_readonly"] },
      },
      canAccess: async (grant) => receiver.held.has(grant.grantId),
      addAccessByHand: async () => {
        const grantId = randomUUID();
        receiver.holdByHand(grantId, ["app_readonly"]);
        return { principal: grantId, target: "app_readonly" };
      },
      teardown: async () => {
        assert.equal(receiver.rejected, 0, "every request carried a valid signature");
        await receiver.close();
      },
    };
  },
});

describe("Webhook connector", () => {
  const receivers: Array<{ close: () => Promise<void> }> = [];
  after(async () => Promise.all(receivers.map((receiver) => receiver.close())));

  it("is refused by a receiver that holds another secret (the signature is checked)", async () => {
    const receiver = await startWebhookReceiver(generateSecret());
    receivers.push(receiver);
    const result = await webhookConnector.test({
      connectorId: randomUUID(),
      resourceKey: "r",
      settings: ZWebhookConnectorSettings.parse({ url: receiver.url }),
      credential: generateSecret(),
      mapping: {},
    });
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : result.error, /HTTP 401/);
  });
});
