import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { signWebhook, verifyWebhook } from "./signature";

// Standard Webhooks, "Signature scheme": HMAC-SHA256 over `${msg_id}.${timestamp}.${payload}`
// keyed with the base64-decoded secret after `whsec_`, sent as `v1,<base64>`.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const AT = new Date(TIMESTAMP * 1000);

const byHand = (secret: string, id: string, timestamp: number, body: string): string => {
  const key = Buffer.from(secret.split("_")[1] ?? "", "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
};

const headersFor = (signature: string, id = ID, timestamp: number | string = TIMESTAMP) => ({
  "webhook-id": id,
  "webhook-timestamp": String(timestamp),
  "webhook-signature": signature,
});

describe("signWebhook follows the Standard Webhooks scheme", () => {
  it("matches an HMAC computed by hand from the spec, and the spec's published example", () => {
    const signature = signWebhook({ secret: SECRET, id: ID, timestamp: TIMESTAMP, body: BODY });
    assert.equal(signature, byHand(SECRET, ID, TIMESTAMP, BODY));
    // The example in the Standard Webhooks / Svix documentation.
    assert.equal(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("signs the bytes of the body: a string and its UTF-8 buffer give the same signature", () => {
    const body = '{"name":"Zoë ✓"}';
    assert.equal(
      signWebhook({ secret: SECRET, id: ID, timestamp: TIMESTAMP, body }),
      signWebhook({ secret: SECRET, id: ID, timestamp: TIMESTAMP, body: Buffer.from(body, "utf8") }),
    );
  });
});

describe("verifyWebhook accepts only authentic, fresh messages", () => {
  const good = byHand(SECRET, ID, TIMESTAMP, BODY);

  it("accepts a correctly signed message (Fetch Headers and node header objects alike)", () => {
    assert.deepEqual(verifyWebhook({ secret: SECRET, headers: headersFor(good), body: BODY, now: AT }), {
      ok: true,
      id: ID,
      timestamp: TIMESTAMP,
    });
    assert.equal(
      verifyWebhook({ secret: SECRET, headers: new Headers(headersFor(good)), body: BODY, now: AT }).ok,
      true,
    );
    assert.equal(
      verifyWebhook({
        secret: SECRET,
        headers: { "Webhook-Id": ID, "Webhook-Timestamp": String(TIMESTAMP), "Webhook-Signature": good },
        body: BODY,
        now: AT,
      }).ok,
      true,
    );
  });

  it("refuses a tampered body", () => {
    const result = verifyWebhook({ secret: SECRET, headers: headersFor(good), body: '{"test": 2432232315}', now: AT });
    assert.deepEqual(result, { ok: false, reason: "no matching signature" });
  });

  it("refuses a tampered timestamp or id (both are signed)", () => {
    assert.equal(
      verifyWebhook({ secret: SECRET, headers: headersFor(good, ID, TIMESTAMP + 1), body: BODY, now: AT }).ok,
      false,
    );
    assert.equal(
      verifyWebhook({ secret: SECRET, headers: headersFor(good, "msg_other"), body: BODY, now: AT }).ok,
      false,
    );
  });

  it("refuses a signature made with another secret", () => {
    const other = `whsec_${randomBytes(32).toString("base64")}`;
    assert.equal(verifyWebhook({ secret: other, headers: headersFor(good), body: BODY, now: AT }).ok, false);
    assert.equal(
      verifyWebhook({ secret: SECRET, headers: headersFor(byHand(other, ID, TIMESTAMP, BODY)), body: BODY, now: AT })
        .ok,
      false,
    );
  });

  it("refuses a timestamp outside the tolerance, either way (replay protection)", () => {
    const late = new Date((TIMESTAMP + 301) * 1000);
    assert.deepEqual(verifyWebhook({ secret: SECRET, headers: headersFor(good), body: BODY, now: late }), {
      ok: false,
      reason: "message timestamp too old",
    });
    const early = new Date((TIMESTAMP - 301) * 1000);
    assert.deepEqual(verifyWebhook({ secret: SECRET, headers: headersFor(good), body: BODY, now: early }), {
      ok: false,
      reason: "message timestamp too new",
    });
    // At the edge, and with a custom tolerance.
    assert.equal(
      verifyWebhook({ secret: SECRET, headers: headersFor(good), body: BODY, now: new Date((TIMESTAMP + 300) * 1000) })
        .ok,
      true,
    );
    assert.equal(
      verifyWebhook({
        secret: SECRET,
        headers: headersFor(good),
        body: BODY,
        now: new Date((TIMESTAMP + 10) * 1000),
        toleranceSeconds: 5,
      }).ok,
      false,
    );
    // A fresh signature of an old timestamp is still old.
    const old = Math.floor(Date.now() / 1000) - 3600;
    assert.equal(
      verifyWebhook({ secret: SECRET, headers: headersFor(byHand(SECRET, ID, old, BODY), ID, old), body: BODY }).ok,
      false,
    );
  });

  it("accepts when any of several space-separated signatures matches, ignoring unknown versions", () => {
    const stale = byHand(`whsec_${randomBytes(32).toString("base64")}`, ID, TIMESTAMP, BODY);
    for (const list of [`${stale} ${good}`, `${good} ${stale}`, `v1a,${good.slice(3)} ${good}`]) {
      assert.equal(verifyWebhook({ secret: SECRET, headers: headersFor(list), body: BODY, now: AT }).ok, true, list);
    }
    // The right digest under another version label is not a v1 signature.
    assert.equal(
      verifyWebhook({ secret: SECRET, headers: headersFor(`v2,${good.slice(3)} ${stale}`), body: BODY, now: AT }).ok,
      false,
    );
  });

  it("refuses missing headers and malformed timestamps or signatures", () => {
    assert.equal(
      verifyWebhook({
        secret: SECRET,
        headers: { "webhook-id": ID, "webhook-timestamp": String(TIMESTAMP) },
        body: BODY,
        now: AT,
      }).ok,
      false,
    );
    assert.equal(
      verifyWebhook({ secret: SECRET, headers: headersFor(good, ID, "1614265330.5"), body: BODY, now: AT }).ok,
      false,
    );
    assert.equal(
      verifyWebhook({ secret: SECRET, headers: headersFor(good, ID, "abc"), body: BODY, now: AT }).ok,
      false,
    );
    for (const signature of ["", "v1", "v1,", good.slice(3), `v1,${good.slice(3, -2)}`, `${good}x`]) {
      assert.equal(
        verifyWebhook({ secret: SECRET, headers: headersFor(signature), body: BODY, now: AT }).ok,
        false,
        JSON.stringify(signature),
      );
    }
  });
});
