/**
 * The shared limiter against real Redis (the run's own prefix): exact counts, per key and
 * across keys, a sliding window, one "first refusal" per lockout, and the in-process fallback
 * when Redis does not answer.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { redis } from "../redis";
import { uniqueId } from "../testing/fixtures";
import { rateLimitKey, takeRateLimit, type TRateKey } from "./rate-limit";

after(() => redis().disconnect());

const rule = { limit: 3, windowMs: 60_000 };
const userKey = (id: string): TRateKey => ({ scope: "user", id, rule });
const ipKey = (id: string, limit = 5): TRateKey => ({ scope: "ip", id, rule: { limit, windowMs: 60_000 } });
const T0 = 1_900_000_000_000;

describe("the shared rate limiter", () => {
  it("lets N attempts through and refuses the N+1th, with the time until a slot frees", async () => {
    const flow = uniqueId("flow");
    const user = uniqueId("user");
    for (let i = 0; i < 3; i += 1)
      assert.equal((await takeRateLimit({ flow, keys: [userKey(user)], now: T0 + i * 1000 })).ok, true);
    const refused = await takeRateLimit({ flow, keys: [userKey(user)], now: T0 + 10_000 });
    assert.equal(refused.ok, false);
    if (refused.ok) return;
    // The first attempt (at T0) leaves the window at T0 + 60 s: 50 s from now.
    assert.equal(refused.retryAfterSeconds, 50);
    assert.deepEqual(refused.refusedScopes, ["user"]);
    assert.equal(refused.degraded, false);
    // Another person is not affected.
    assert.equal((await takeRateLimit({ flow, keys: [userKey(uniqueId("user"))], now: T0 + 10_000 })).ok, true);
  });

  it("slides: each attempt frees its slot one window after it was made, and refused attempts cost nothing", async () => {
    const flow = uniqueId("flow");
    const user = uniqueId("user");
    for (const at of [0, 20_000, 40_000])
      assert.equal((await takeRateLimit({ flow, keys: [userKey(user)], now: T0 + at })).ok, true);
    // Hammering while locked out does not push the end of the lockout further away.
    for (let i = 0; i < 5; i += 1)
      assert.equal((await takeRateLimit({ flow, keys: [userKey(user)], now: T0 + 50_000 + i })).ok, false);
    assert.equal((await takeRateLimit({ flow, keys: [userKey(user)], now: T0 + 59_999 })).ok, false);
    // At T0 + 60 s the first attempt has left the window: one slot, not three.
    assert.equal((await takeRateLimit({ flow, keys: [userKey(user)], now: T0 + 60_000 })).ok, true);
    assert.equal((await takeRateLimit({ flow, keys: [userKey(user)], now: T0 + 60_001 })).ok, false);
    // A whole window later everything is free again.
    for (let i = 0; i < 3; i += 1)
      assert.equal((await takeRateLimit({ flow, keys: [userKey(user)], now: T0 + 200_000 + i })).ok, true);
  });

  it("counts a person and their IP together: two people from one address share the IP's limit", async () => {
    const flow = uniqueId("flow");
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const alice = uniqueId("alice");
    const bob = uniqueId("bob");
    for (let i = 0; i < 3; i += 1)
      assert.equal((await takeRateLimit({ flow, keys: [userKey(alice), ipKey(ip)], now: T0 + i })).ok, true);
    assert.equal((await takeRateLimit({ flow, keys: [userKey(bob), ipKey(ip)], now: T0 + 3 })).ok, true);
    assert.equal((await takeRateLimit({ flow, keys: [userKey(bob), ipKey(ip)], now: T0 + 4 })).ok, true);
    const refused = await takeRateLimit({ flow, keys: [userKey(bob), ipKey(ip)], now: T0 + 5 });
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.deepEqual(refused.refusedScopes, ["ip"]);
    // Bob's own count was not raised by the refused attempt: from another address he has one left.
    assert.equal((await takeRateLimit({ flow, keys: [userKey(bob), ipKey("203.0.113.9")], now: T0 + 6 })).ok, true);
    assert.equal((await takeRateLimit({ flow, keys: [userKey(bob), ipKey("203.0.113.9")], now: T0 + 7 })).ok, false);
  });

  it("marks only the first refusal of a lockout, for one audit event per lockout", async () => {
    const flow = uniqueId("flow");
    const user = uniqueId("user");
    for (let i = 0; i < 3; i += 1) await takeRateLimit({ flow, keys: [userKey(user)], now: Date.now() });
    const firsts: boolean[] = [];
    for (let i = 0; i < 4; i += 1) {
      const verdict = await takeRateLimit({ flow, keys: [userKey(user)], now: Date.now() });
      assert.equal(verdict.ok, false);
      if (!verdict.ok) firsts.push(verdict.firstRefusal);
    }
    assert.deepEqual(firsts, [true, false, false, false]);
    // The marker lives exactly until a slot frees.
    const ttl = await redis().pttl(`${rateLimitKey(flow, { scope: "user", id: user })}:refused`);
    assert.ok(ttl > 55_000 && ttl <= 60_000, `marker ttl ${ttl}`);
  });

  it("keeps odd identifiers (an IdP subject) out of the key's shape", async () => {
    const key = rateLimitKey("sign_in.account", {
      scope: "account",
      id: "https://idp.example.com subject with spaces\n{x}",
    });
    assert.match(key, /:ratelimit:\{sign_in\.account\}:account:[A-Za-z0-9_-]{43}$/);
  });

  it("counts in this process when Redis does not answer, and still refuses the N+1th", async () => {
    const down = new Redis("redis://127.0.0.1:1", {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on("error", () => undefined);
    try {
      const flow = uniqueId("flow");
      const user = uniqueId("user");
      const verdicts = [];
      for (let i = 0; i < 4; i += 1)
        verdicts.push(await takeRateLimit({ flow, keys: [userKey(user)], now: T0 + i, client: down }));
      assert.deepEqual(
        verdicts.map((verdict) => verdict.ok),
        [true, true, true, false],
      );
      assert.ok(verdicts.every((verdict) => verdict.degraded));
      // Nothing reached the real Redis.
      assert.equal(await redis().exists(rateLimitKey(flow, { scope: "user", id: user })), 0);
    } finally {
      down.disconnect();
    }
  });

  it("gives up on a Redis that does not answer in time, instead of holding the sign-in", async () => {
    // A server that accepts connections and never replies.
    const net = await import("node:net");
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const hung = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0, lazyConnect: false });
    hung.on("error", () => undefined);
    try {
      const started = Date.now();
      const verdict = await takeRateLimit({
        flow: uniqueId("flow"),
        keys: [userKey(uniqueId("user"))],
        client: hung,
        timeoutMs: 200,
      });
      assert.equal(verdict.ok, true);
      assert.equal(verdict.degraded, true);
      assert.ok(Date.now() - started < 1_000);
    } finally {
      hung.disconnect();
      silent.close();
    }
  });
});
