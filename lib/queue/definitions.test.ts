import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JOBS, QUEUE_NAMES, isJobName, parseJobPayload, type TJobName } from "./definitions";

const GRANT_ID = "0193a8f0-7c1e-7b2a-9c3d-1234567890ab";

// For each job: payloads its handler may receive, and payloads that must never reach it.
const cases: { [N in TJobName]: { good: unknown[]; bad: unknown[] } } = {
  "sessions.prune": { good: [{}], bad: [null, undefined, [], "x", { extra: 1 }] },
  "requests.expire": { good: [{}], bad: [null, { extra: 1 }] },
  "lifecycle.reconcile": { good: [{}], bad: [null, { grantId: GRANT_ID }] },
  "replica-changes.prune": { good: [{}], bad: [null, { before: "2020-01-01" }] },
  "usage-signals.prune": { good: [{}], bad: [null, { days: 1 }] },
  "audit.anchor": { good: [{}], bad: [null, { seq: "1", hash: "x" }] },
  "grant.start": {
    good: [{ grantId: GRANT_ID }],
    bad: [{}, { grantId: "" }, { grantId: "not-a-uuid" }, { grantId: 42 }, { grantId: GRANT_ID, extra: true }, null],
  },
  "grant.expire": { good: [{ grantId: GRANT_ID }], bad: [{}, { grantId: "1; DROP TABLE" }, { grant: GRANT_ID }] },
  "grant.warn": { good: [{ grantId: GRANT_ID }], bad: [{}, { grantId: null }, [GRANT_ID]] },
  "webhook.deliver": {
    good: [{ deliveryId: GRANT_ID }],
    bad: [{}, { deliveryId: "x" }, { deliveryId: GRANT_ID, url: "http://evil" }],
  },
  "provisioning.run": {
    good: [
      { grantId: GRANT_ID, connectorId: GRANT_ID, action: "provision" },
      { grantId: GRANT_ID, connectorId: GRANT_ID, action: "deprovision" },
    ],
    bad: [
      {},
      { grantId: GRANT_ID, connectorId: GRANT_ID },
      { grantId: GRANT_ID, connectorId: GRANT_ID, action: "drop" },
      { grantId: GRANT_ID, connectorId: "x", action: "provision" },
      { grantId: GRANT_ID, connectorId: GRANT_ID, action: "provision", sql: "drop role x" },
    ],
  },
  "provisioning.drift": { good: [{}], bad: [null, { connectorId: GRANT_ID }] },
  "request.escalate": {
    good: [{ requestId: GRANT_ID }],
    bad: [{}, { requestId: "x" }, { requestId: GRANT_ID, now: 1 }],
  },
  "requests.escalate": { good: [{}], bad: [null, { requestId: GRANT_ID }] },
  "reviews.sweep": { good: [{}], bad: [null, { reviewId: GRANT_ID }] },
  "chat.sync": {
    good: [
      { requestId: GRANT_ID, provider: "slack" },
      { requestId: GRANT_ID, provider: "teams" },
    ],
    bad: [{}, { requestId: GRANT_ID }, { requestId: GRANT_ID, provider: "irc" }, { requestId: "x", provider: "slack" }],
  },
  "notify.send": {
    good: [
      { notificationId: GRANT_ID, channel: "email" },
      { notificationId: GRANT_ID, channel: "chat" },
    ],
    bad: [
      {},
      { notificationId: GRANT_ID },
      { notificationId: GRANT_ID, channel: "sms" },
      { notificationId: "abc", channel: "email" },
      { notificationId: GRANT_ID, channel: "email", to: "x@example.com" },
    ],
  },
};

describe("job definitions", () => {
  it("maps every job to a declared queue", () => {
    for (const [name, job] of Object.entries(JOBS)) {
      assert.ok((QUEUE_NAMES as readonly string[]).includes(job.queue), `${name} -> ${job.queue}`);
    }
    assert.equal(JOBS["sessions.prune"].queue, "maintenance");
    assert.equal(JOBS["grant.expire"].queue, "grant-lifecycle");
    assert.equal(JOBS["notify.send"].queue, "notify");
  });

  for (const [name, { good, bad }] of Object.entries(cases) as Array<[TJobName, { good: unknown[]; bad: unknown[] }]>) {
    it(`${name}: accepts a well-formed payload`, () => {
      for (const payload of good) {
        const result = parseJobPayload(name, payload);
        assert.ok(result.ok, `${JSON.stringify(payload)} should pass`);
        assert.deepEqual(result.payload, payload);
      }
    });
    it(`${name}: rejects malformed payloads with a reason`, () => {
      for (const payload of bad) {
        const result = parseJobPayload(name, payload);
        assert.equal(result.ok, false, `${JSON.stringify(payload)} should be rejected`);
        if (!result.ok) assert.match(result.reason, new RegExp(`invalid payload for ${name.replace(".", "\\.")}`));
      }
    });
  }

  it("knows only its own job names, not inherited properties", () => {
    assert.equal(isJobName("sessions.prune"), true);
    for (const name of ["no.such.job", "constructor", "__proto__", "toString", ""])
      assert.equal(isJobName(name), false, name);
  });
});

describe("retry policy", () => {
  it("retries webhook deliveries with a capped backoff for weeks, and other jobs with the defaults", async () => {
    const { cappedBackoffMs } = await import("./runtime");
    const { jobOptionsOf } = await import("./definitions");
    assert.deepEqual(jobOptionsOf("webhook.deliver").backoff, { type: "capped" });
    assert.deepEqual(jobOptionsOf("grant.expire"), {});
    assert.deepEqual([1, 2, 3, 4].map(cappedBackoffMs), [1_000, 2_000, 4_000, 8_000]);
    assert.equal(cappedBackoffMs(40), 3_600_000, "never more than an hour apart");
    const attempts = jobOptionsOf("webhook.deliver").attempts ?? 0;
    const totalMs = Array.from({ length: attempts }, (_, index) => cappedBackoffMs(index + 1)).reduce(
      (sum, ms) => sum + ms,
      0,
    );
    assert.ok(totalMs > 14 * 24 * 3_600_000, `keeps trying for ${Math.round(totalMs / 86_400_000)} days`);
  });
});
