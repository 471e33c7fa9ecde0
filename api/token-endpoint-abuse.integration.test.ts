/**
 * The token endpoint under attack, through the real services API server (real PostgreSQL and
 * Redis). Each attack is tried and must fail (docs/decisions/0025-token-endpoint-under-flood.md):
 * - failing with a client's id from many addresses does not lock the client out, whether this
 *   replica has seen its secret before or not;
 * - one address past its request limit, or past its failure limit, gets 429 with Retry-After while
 *   other addresses are served;
 * - a full hashing queue answers 503 with Retry-After, never a 500, and a client whose secret was
 *   verified before is still served.
 * The server trusts one proxy (X-Forwarded-For), so the test can speak from many addresses, and
 * counts in windows of a day, so a slow run does not cross a window's end and start afresh.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { db, disconnectDb } from "../lib/db";
import { redis } from "../lib/redis";
import { createServiceClient } from "../lib/services";
import { uniqueId } from "../lib/testing/fixtures";
import { startApiServer, type TApiServer, type TApiServerOptions } from "./server";

const SYSTEM = { kind: "system", name: "test" } as const;
const servers: TApiServer[] = [];

const DAY_MS = 86_400_000;

const start = async (options: TApiServerOptions) => {
  const server = await startApiServer({
    port: 0,
    pollMs: 250,
    subscribe: false,
    trustProxy: 1,
    log: () => undefined,
    ...options,
    tokenLimits: { windowMs: DAY_MS, ...options.tokenLimits },
  });
  servers.push(server);
  return server;
};

after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await disconnectDb();
  redis().disconnect();
});

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

const tokenRequest = (api: TApiServer, options: { id: string; secret: string; from: string }) =>
  fetch(`${api.url}/api/v1/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: basic(options.id, options.secret),
      "x-forwarded-for": options.from,
    },
    body: "grant_type=client_credentials",
  });

const newClient = () =>
  createServiceClient({ actor: SYSTEM, input: { name: uniqueId("svc"), scopes: ["access:check"], resourceKeys: [] } });

/** A fresh documentation-range address per call (RFC 5737), so tests never share counters. */
let nextAddress = Math.floor(Math.random() * 200) * 250;
const address = () => {
  nextAddress += 1;
  return `198.51.${Math.floor(nextAddress / 250) % 250}.${(nextAddress % 250) + 1}`;
};

describe("the token endpoint under attack", () => {
  let api: TApiServer;
  before(async () => {
    api = await start({ tokenLimits: { failuresPerClient: 3, failuresPerIp: 4, perIp: 1_000 } });
  });

  it("an attacker failing with a client's id from many addresses does not lock the client out of its tokens", async () => {
    const victim = await newClient();
    const home = address();
    // The client got a token before the attack: this replica knows its secret.
    assert.equal(
      (await tokenRequest(api, { id: victim.clientId, secret: victim.clientSecret, from: home })).status,
      200,
    );

    const attackers = Array.from({ length: 8 }, address);
    const statuses: number[] = [];
    for (let round = 0; round < 5; round += 1)
      for (const from of attackers) {
        const res = await tokenRequest(api, { id: victim.clientId, secret: "jcs_guess", from });
        statuses.push(res.status);
        if (res.status === 429) assert.match(res.headers.get("retry-after") ?? "", /^\d+$/);
        await res.arrayBuffer();
      }
    assert.ok(
      statuses.every((status) => status === 401 || status === 429),
      `only 401 and 429: ${statuses.join(",")}`,
    );
    // Past 3 failures for the id, every address that failed once is refused without a hash.
    assert.ok(statuses.filter((status) => status === 429).length >= 30, `429s: ${statuses.join(",")}`);
    assert.ok(statuses.filter((status) => status === 401).length <= 10, `401s: ${statuses.join(",")}`);

    // The client, known secret, its own address: served, every time.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const res = await tokenRequest(api, { id: victim.clientId, secret: victim.clientSecret, from: home });
      assert.equal(res.status, 200, await res.text());
    }
    // A replica that never saw the secret (cold), the id over its failure limit on this one:
    // the client's address has not failed, so it is heard.
    const cold = await start({ tokenLimits: { failuresPerClient: 3, failuresPerIp: 4, perIp: 1_000 } });
    for (const from of attackers)
      await (await tokenRequest(cold, { id: victim.clientId, secret: "jcs_guess", from })).arrayBuffer();
    const coldAnswer = await tokenRequest(cold, { id: victim.clientId, secret: victim.clientSecret, from: address() });
    assert.equal(coldAnswer.status, 200, await coldAnswer.text());
    // Even from an address the attacker used, the right secret once known here is served.
    const fromAttacker = await tokenRequest(api, {
      id: victim.clientId,
      secret: victim.clientSecret,
      from: attackers[0]!,
    });
    assert.equal(fromAttacker.status, 200, await fromAttacker.text());
  });

  it("an address past its failure limit gets 429 with Retry-After for any id, without the answer depending on the id", async () => {
    const client = await newClient();
    const attacker = address();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const id = attempt % 2 === 0 ? client.clientId : crypto.randomUUID();
      const res = await tokenRequest(api, { id, secret: "jcs_guess", from: attacker });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429]);
    const other = await tokenRequest(api, { id: client.clientId, secret: client.clientSecret, from: address() });
    assert.equal(other.status, 200);
  });
});

describe("per-address request limit", () => {
  it("refuses the address past its limit with 429 and Retry-After, and serves the others", async () => {
    const api = await start({ tokenLimits: { perIp: 5 } });
    const client = await newClient();
    const busy = address();
    const answers: number[] = [];
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const res = await tokenRequest(api, { id: client.clientId, secret: client.clientSecret, from: busy });
      answers.push(res.status);
      if (res.status === 429) {
        const body = (await res.json()) as { error: string; message: string };
        assert.equal(body.error, "rate_limited");
        assert.match(body.message, /retry later/);
        assert.ok(Number(res.headers.get("retry-after")) >= 1);
      } else await res.arrayBuffer();
    }
    assert.deepEqual(answers, [200, 200, 200, 200, 200, 429, 429]);
    assert.equal(
      (await tokenRequest(api, { id: client.clientId, secret: client.clientSecret, from: address() })).status,
      200,
    );
    // IPv6 addresses of one /64 share a counter.
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1`;
    const v6: number[] = [];
    for (let host = 1; host <= 6; host += 1)
      v6.push(
        (await tokenRequest(api, { id: client.clientId, secret: "jcs_guess", from: `${prefix}::${host}` })).status,
      );
    assert.deepEqual(v6, [401, 401, 401, 401, 401, 429]);
  });
});

describe("bounded hashing queue", () => {
  it("answers 503 with Retry-After when the queue is full, never 500, and still serves a client it knows", async () => {
    const api = await start({ tokenLimits: { hashConcurrency: 1, hashQueue: 2, perIp: 1_000, failuresPerIp: 1_000 } });
    const known = await newClient();
    assert.equal(
      (await tokenRequest(api, { id: known.clientId, secret: known.clientSecret, from: address() })).status,
      200,
    );
    const flood = Array.from({ length: 24 }, () =>
      tokenRequest(api, { id: crypto.randomUUID(), secret: "jcs_guess", from: address() }).then(async (res) => ({
        status: res.status,
        retryAfter: res.headers.get("retry-after"),
        body: (await res.json()) as { error: string },
      })),
    );
    // While the queue is full, the known client costs no hash and is served.
    const served = await tokenRequest(api, { id: known.clientId, secret: known.clientSecret, from: address() });
    assert.equal(served.status, 200);
    const answers = await Promise.all(flood);
    assert.ok(
      answers.every((answer) => answer.status === 401 || answer.status === 503),
      JSON.stringify(answers),
    );
    const busy = answers.filter((answer) => answer.status === 503);
    assert.ok(busy.length >= 15, `at most 3 hashed or waiting at once: ${busy.length} of 24 answered 503`);
    for (const answer of busy) {
      assert.equal(answer.retryAfter, "1");
      assert.equal(answer.body.error, "unavailable");
    }
  });
});

describe("audit of refusals", () => {
  it("counts refusals before authentication into one event per window, naming the client under attack and the addresses", async () => {
    const api = await start({ auditWindowMs: 60_000, tokenLimits: { failuresPerIp: 1_000, perIp: 1_000 } });
    const client = await newClient();
    const from = address();
    const head = await db.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true } });
    for (let attempt = 0; attempt < 5; attempt += 1)
      await (await tokenRequest(api, { id: client.clientId, secret: "jcs_guess", from })).arrayBuffer();
    await api.flushAudit();
    const events = await db.auditEvent.findMany({
      where: { seq: { gt: head?.seq ?? 0n }, targetId: client.clientId },
    });
    assert.equal(events.length, 1, JSON.stringify(events.map((event) => event.action)));
    const [event] = events;
    assert.equal(event?.action, "service.token.issue.aggregate");
    assert.equal(event?.outcome, "DENIED");
    assert.equal(event?.reason, "invalid_client: wrong or retired secret");
    const details = event?.details as { count: number; sources: Array<{ ip: string; count: number }> };
    assert.equal(details.count, 5);
    assert.deepEqual(details.sources, [{ ip: from, count: 5 }]);
  });
});
