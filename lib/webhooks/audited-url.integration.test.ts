/**
 * A webhook URL may carry a credential in its query string; the audit log (read by every
 * security reviewer, copied to the log stream and a SIEM) keeps its origin and path only.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { createActor, uniqueId } from "../testing/fixtures";
import { createEndpoint, disableEndpoint } from "./index";

after(disconnectDb);

describe("webhook URLs in the audit log", () => {
  it("are audited as origin and path: the query string's token reaches neither event, the row keeps it", async () => {
    const actor = await createActor({ groups: ["portal-admins"] });
    const resource = await db.resource.create({
      data: { key: uniqueId("wh-url"), name: "Orders DB", environment: "production", permissions: ["read"] },
    });
    const url = "https://hooks.example.com/jit/grants?token=s3cret-query-token&team=ops";
    const { endpointId } = await createEndpoint({ actor, resourceKey: resource.key, url, events: ["grant.expired"] });
    await disableEndpoint({ actor, resourceKey: resource.key, endpointId });

    const events = await db.auditEvent.findMany({ where: { targetId: endpointId }, orderBy: { seq: "asc" } });
    assert.deepEqual(
      events.map((event) => event.action),
      ["webhook.endpoint.create", "webhook.endpoint.disable"],
    );
    for (const event of events) {
      assert.equal((event.details as { url: string }).url, "https://hooks.example.com/jit/grants", event.action);
      assert.doesNotMatch(
        JSON.stringify({ ...event, seq: String(event.seq) }),
        /s3cret-query-token|team=ops/,
        event.action,
      );
    }
    // Deliveries still go to the whole URL.
    const row = await db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    assert.equal(row.url, url);
  });
});
