/**
 * The SCIM API's HTTP edge refuses what it cannot take with a SCIM error body and writes
 * nothing: a body over 1 MiB (413), a body that is not JSON (400 invalidSyntax), a content type
 * other than SCIM's or JSON (415), and a connection over its rate limit (429 with Retry-After).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { redis } from "../redis";
import { takeRateLimit } from "../security/rate-limit";
import { createScimClient } from "../testing/scim-client";
import { SCIM_ERROR_SCHEMA } from "./errors";
import { SCIM_RATE_LIMIT } from "./http";

after(async () => {
  await disconnectDb();
  redis().disconnect();
});

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";

describe("the SCIM HTTP edge", () => {
  it("refuses an oversized body, a non-JSON body and a foreign content type, writing nothing", async () => {
    const client = await createScimClient();
    const big = await client.call("POST", "/Users", {
      schemas: [USER],
      userName: "big@example.com",
      displayName: "x".repeat(1_100_000),
    });
    assert.equal(big.status, 413);
    assert.deepEqual(big.body.schemas, [SCIM_ERROR_SCHEMA]);
    const garbage = await client.call("POST", "/Users", "{not json");
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.scimType, "invalidSyntax");
    const form = await client.call("POST", "/Users", "userName=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    assert.equal(form.status, 415);
    const tooLong = await client.call("POST", "/Users", { schemas: [USER], userName: "y".repeat(300) });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.scimType, "invalidValue");
    assert.equal(await db.user.count({ where: { directoryId: client.connectionId } }), 0);
  });

  it("answers 429 with Retry-After once a connection has spent its requests for the window", async () => {
    const client = await createScimClient();
    // Spend the connection's window as its own requests would, then ask once more.
    for (let i = 0; i < SCIM_RATE_LIMIT.limit; i += 1)
      await takeRateLimit({
        flow: "scim",
        keys: [{ scope: "directory", id: client.connectionId, rule: SCIM_RATE_LIMIT }],
      });
    const limited = await client.call("GET", "/Users");
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.body.schemas, [SCIM_ERROR_SCHEMA]);
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
  });
});
