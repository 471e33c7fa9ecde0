import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { Queue } from "bullmq";
import { redis } from "../redis";
import { queueConnection, queuePrefix } from "./connection";
import { closeQueues, enqueue, enqueueBulk } from "./producer";
import { startWorkers, type TJobContext, type TQueueHandlers } from "./runtime";

// Bypasses `enqueue` to write what a buggy or hostile producer could write to Redis.
const raw = new Queue("maintenance", { connection: queueConnection(), prefix: queuePrefix() });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const waitFor = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
};

const stateOf = async (jobId: string) => (await raw.getJob(jobId))?.getState();

type TCall = { payload: unknown; context: TJobContext };
const recorder = (work: () => Promise<unknown> = async () => "ok") => {
  const calls: TCall[] = [];
  const handlers: TQueueHandlers<"maintenance"> = {
    "sessions.prune": async (payload, context) => {
      calls.push({ payload, context });
      return work();
    },
    // Not exercised here; the table must name every job of the queue.
    "requests.expire": async () => undefined,
    "lifecycle.reconcile": async () => undefined,
    "replica-changes.prune": async () => undefined,
    "usage-signals.prune": async () => undefined,
    "audit.anchor": async () => undefined,
    "provisioning.drift": async () => undefined,
    "request.escalate": async () => undefined,
    "requests.escalate": async () => undefined,
    "reviews.sweep": async () => undefined,
  };
  return { calls, handlers };
};

describe("queue runtime (real Redis)", () => {
  beforeEach(async () => {
    // Each test starts from an empty queue: no job of an earlier test can reach its handler.
    await raw.obliterate({ force: true });
  });
  after(async () => {
    await raw.close();
    await closeQueues();
    redis().disconnect();
  });

  it("runs an enqueued job, handing the handler the parsed payload", async () => {
    const { calls, handlers } = recorder();
    const runtime = startWorkers({ handlers: { maintenance: handlers } });
    try {
      assert.deepEqual(runtime.queues, ["maintenance"]);
      const { jobId } = await enqueue("sessions.prune", {});
      await waitFor("the job to complete", async () => (await stateOf(jobId)) === "completed");
      assert.equal(calls.length, 1);
      assert.deepEqual(calls[0]?.payload, {});
      assert.equal(calls[0]?.context.job.id, jobId);
      assert.equal((await raw.getJob(jobId))?.returnvalue, "ok");
    } finally {
      await runtime.shutdown("test done");
    }
  });

  it("refuses to enqueue a payload its schema rejects", async () => {
    await assert.rejects(enqueue("sessions.prune", { extra: 1 } as never), /invalid payload for sessions\.prune/);
    await assert.rejects(enqueue("no.such.job" as never, {} as never), /unknown job name/);
    assert.equal(await raw.count(), 0);
  });

  it("never hands a malformed payload to the handler, and does not retry it", async () => {
    const { calls, handlers } = recorder();
    const runtime = startWorkers({ handlers: { maintenance: handlers } });
    try {
      const job = await raw.add("sessions.prune", { userId: "someone-else", extra: true });
      const jobId = String(job.id);
      await waitFor("the job to fail", async () => (await stateOf(jobId)) === "failed");
      const failed = await raw.getJob(jobId);
      assert.match(failed?.failedReason ?? "", /invalid payload for sessions\.prune/);
      assert.equal(failed?.attemptsMade, 1, "a payload that cannot parse is not retried");
      assert.equal(calls.length, 0);
    } finally {
      await runtime.shutdown("test done");
    }
  });

  it("drops a job with an unknown name: completed with a note, handler untouched", async () => {
    const { calls, handlers } = recorder();
    const runtime = startWorkers({ handlers: { maintenance: handlers } });
    try {
      for (const name of ["no.such.job", "constructor", "notify.send"]) {
        const job = await raw.add(name, {});
        const jobId = String(job.id);
        await waitFor(`${name} to complete`, async () => (await stateOf(jobId)) === "completed");
        const done = await raw.getJob(jobId);
        assert.equal(done?.returnvalue?.dropped, true, name);
        assert.match(String(done?.returnvalue?.reason), /unknown job name/);
      }
      assert.equal(calls.length, 0);
    } finally {
      await runtime.shutdown("test done");
    }
  });

  it("runs a job enqueued twice under one deterministic jobId once", async () => {
    const { calls, handlers } = recorder();
    const runtime = startWorkers({ handlers: { maintenance: handlers } });
    try {
      const [first, second] = await Promise.all([
        enqueue("sessions.prune", {}, { jobId: "prune-once" }),
        enqueue("sessions.prune", {}, { jobId: "prune-once" }),
      ]);
      assert.equal(first.jobId, "prune-once");
      assert.equal(second.jobId, "prune-once");
      await waitFor("the job to complete", async () => (await stateOf("prune-once")) === "completed");
      // And again after it finished: the kept completed job still de-duplicates.
      await enqueue("sessions.prune", {}, { jobId: "prune-once" });
      await sleep(300);
      assert.equal(calls.length, 1);
    } finally {
      await runtime.shutdown("test done");
    }
  });

  it("honours a delay", async () => {
    const { calls, handlers } = recorder();
    const runtime = startWorkers({ handlers: { maintenance: handlers } });
    try {
      const { jobId } = await enqueue("sessions.prune", {}, { delay: 60_000 });
      assert.equal(await stateOf(jobId), "delayed");
      await sleep(300);
      assert.equal(calls.length, 0);
    } finally {
      await runtime.shutdown("test done");
    }
  });

  it("shutdown lets an in-flight job finish before it resolves, and is safe to call twice", async () => {
    let started = false;
    let finished = false;
    const { handlers } = recorder(async () => {
      started = true;
      await sleep(500);
      finished = true;
      return "finished";
    });
    const runtime = startWorkers({ handlers: { maintenance: handlers }, shutdownTimeoutMs: 10_000 });
    const { jobId } = await enqueue("sessions.prune", {});
    await waitFor("the handler to start", () => started);

    const t0 = Date.now();
    const [result, again] = await Promise.all([runtime.shutdown("SIGTERM"), runtime.shutdown("SIGINT")]);
    assert.equal(finished, true, "shutdown resolved before the in-flight job finished");
    assert.deepEqual(result, { timedOut: false });
    assert.equal(again, result);
    assert.ok(Date.now() - t0 < 5_000);
    assert.equal(await stateOf(jobId), "completed");
    assert.deepEqual(await runtime.shutdown("third time"), { timedOut: false });
  });

  it("shutdown gives up after its hard timeout when a handler never finishes", async () => {
    let started = false;
    const { handlers } = recorder(() => {
      started = true;
      return new Promise(() => undefined); // never settles, ignores the abort signal
    });
    const runtime = startWorkers({ handlers: { maintenance: handlers }, shutdownTimeoutMs: 300 });
    const { jobId } = await enqueue("sessions.prune", {});
    await waitFor("the handler to start", () => started);

    const t0 = Date.now();
    const result = await runtime.shutdown("SIGTERM");
    const elapsed = Date.now() - t0;
    assert.deepEqual(result, { timedOut: true });
    assert.ok(elapsed >= 290, `resolved after ${elapsed} ms, before the timeout`);
    assert.ok(elapsed < 3_000, `resolved after ${elapsed} ms`);
    // The abandoned attempt is recorded as failed and the job waits for its retry: not lost.
    const job = await raw.getJob(jobId);
    assert.equal(await job?.getState(), "delayed");
    assert.equal(job?.attemptsMade, 1);
    assert.match(job?.failedReason ?? "", /shutdown timed out/);
  });

  it("a reconcile re-creates a job kept after finishing under the same id; a plain re-add does not", async () => {
    const { handlers } = recorder();
    const job = { name: "sessions.prune" as const, payload: {}, jobId: "husk-test", delay: 0 };
    await enqueueBulk([job]);
    const runtime = startWorkers({ handlers: { maintenance: handlers }, concurrency: 1 });
    await waitFor("the job to complete", async () => (await stateOf("husk-test")) === "completed");
    await runtime.shutdown("test");

    assert.deepEqual(await enqueueBulk([job]), { replaced: 0 });
    assert.equal(await stateOf("husk-test"), "completed", "an idempotent add leaves a finished job finished");
    assert.deepEqual(await enqueueBulk([job], { replaceFinished: true }), { replaced: 1 });
    assert.equal(await stateOf("husk-test"), "waiting", "replaced: it will run again");
    assert.deepEqual(
      await enqueueBulk([job], { replaceFinished: true }),
      { replaced: 0 },
      "a waiting job is left alone",
    );
  });
});
