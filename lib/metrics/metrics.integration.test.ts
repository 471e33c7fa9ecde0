import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Queue } from "bullmq";

// Before anything reads the configuration (it is read once, on first use).
process.env.METRICS_TOKEN = "metrics-token-for-tests-0123456789abcdef";

const { GET } = await import("../../app/api/metrics/route");
const { recordAuditEvent } = await import("../audit");
const { disconnectDb } = await import("../db");
const { queueConnection, queuePrefix } = await import("../queue/connection");
const { redis } = await import("../redis");
const { closeMetricsQueues, metricsAccess } = await import("./collect");
const { flushMetrics, incrementCounter, metricsKey, observeHistogram } = await import("./registry");

const scrape = (authorization?: string) =>
  GET(new Request("http://localhost/api/metrics", { headers: authorization ? { authorization } : {} }));
const TOKEN = `Bearer ${process.env.METRICS_TOKEN}`;
const value = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

after(async () => {
  await closeMetricsQueues();
  await disconnectDb();
  redis().disconnect();
});

describe("/api/metrics", () => {
  it("answers 401 without the bearer token or with a wrong one, and 404 when no token is configured", async () => {
    assert.equal((await scrape()).status, 401);
    assert.equal((await scrape("Bearer wrong")).status, 401);
    assert.equal((await scrape(`Basic ${Buffer.from("x:y").toString("base64")}`)).status, 401);
    assert.equal((await scrape(`${TOKEN}x`)).status, 401, "a longer token with the right prefix is refused");
    assert.equal(metricsAccess(TOKEN, null), "disabled");
    assert.equal(metricsAccess("Bearer ", "x".repeat(32)), "denied");
  });

  it("exposes counters recorded by any process, flushed through Redis, with gauges from the database and queues", async () => {
    // Other test files of this run share the Redis prefix: compare against a first scrape.
    const before = await (await scrape(TOKEN)).text();
    const delta = (text: string, series: string) => (value(text, series) ?? 0) - (value(before, series) ?? 0);
    incrementCounter("jit_checks_total", { result: "allow" }, 3);
    observeHistogram("jit_time_to_decision_seconds", {}, 45);
    await recordAuditEvent({ actorType: "SYSTEM", action: "request.create", outcome: "ALLOWED" });
    await flushMetrics();
    // Another process's counter, already in Redis: the sums add up.
    await redis().hincrbyfloat(metricsKey(), 'jit_checks_total{result="allow"}', 2);

    const response = await scrape(TOKEN);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.equal(delta(text, 'jit_checks_total{result="allow"}'), 5);
    assert.equal(delta(text, "jit_requests_total"), 1);
    assert.equal(delta(text, 'jit_time_to_decision_seconds_bucket{le="30"}'), 0);
    assert.notEqual(value(text, 'jit_time_to_decision_seconds_bucket{le="30"}'), undefined, "every bucket is exposed");
    assert.equal(delta(text, 'jit_time_to_decision_seconds_bucket{le="60"}'), 1);
    assert.equal(delta(text, 'jit_time_to_decision_seconds_bucket{le="+Inf"}'), 1);
    assert.equal(delta(text, "jit_time_to_decision_seconds_count"), 1);
    assert.match(text, /# TYPE jit_time_to_decision_seconds histogram/);
    for (const gauge of [
      "jit_requests_pending",
      "jit_grants_expiry_overdue",
      "jit_webhook_deliveries_failing",
      "jit_outbox_pending",
      "jit_audit_chain_head_seq",
    ]) {
      assert.notEqual(value(text, gauge), undefined, gauge);
    }
    assert.equal(value(text, 'jit_metrics_source_up{source="database"}'), 1);
    assert.equal(value(text, 'jit_metrics_source_up{source="queues"}'), 1);
    assert.notEqual(value(text, 'jit_queue_jobs{queue="notify",state="waiting"}'), undefined);
  });

  it("measures queue lag from the oldest waiting job", async () => {
    const queue = new Queue("maintenance", { connection: queueConnection(), prefix: queuePrefix() });
    try {
      const old = await queue.add("requests.expire", {}, { jobId: "metrics-lag-old" });
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await queue.add("requests.expire", {}, { jobId: "metrics-lag-new" });
      const text = await (await scrape(TOKEN)).text();
      const lag = value(text, 'jit_queue_lag_seconds{queue="maintenance"}') ?? 0;
      assert.ok(lag >= 1.1, `lag ${lag} s counts from the oldest job (${old.id})`);
      assert.equal(value(text, 'jit_queue_jobs{queue="maintenance",state="waiting"}'), 2);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
