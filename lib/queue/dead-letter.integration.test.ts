import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import { db } from "../db";
import { isAppError, type TErrorCode } from "../errors";
import { createActor } from "../testing/fixtures";
import { queueConnection, queuePrefix } from "./connection";
import { closeDeadLetterQueues, discardFailedJob, listFailedJobs, retryFailedJob } from "./dead-letter";

// The notify queue has no other consumer in the integration suite; this test runs its own
// worker on it, whose behaviour each test sets.
const QUEUE = "notify";
const raw = new Queue(QUEUE, { connection: queueConnection(), prefix: queuePrefix() });
let behaviour: (job: Job) => Promise<unknown> = async () => "ok";
let worker: Worker;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
};
const stateOf = async (jobId: string) => (await raw.getJob(jobId))?.getState() ?? "gone";

const rejectsWith = (code: TErrorCode) => (error: unknown) => isAppError(error) && error.code === code;

const payload = () => ({ notificationId: randomUUID(), channel: "email" as const });

/** Adds a job that fails every attempt it gets, and waits until it is dead-lettered. */
const deadJob = async (options: { attempts?: number; reason?: string } = {}): Promise<string> => {
  const reason = options.reason ?? `receiver said 500 (${randomUUID().slice(0, 8)})`;
  behaviour = async () => {
    throw new Error(reason);
  };
  const job = await raw.add("notify.send", payload(), {
    attempts: options.attempts ?? 1,
    backoff: { type: "fixed", delay: 10 },
  });
  const jobId = String(job.id);
  await waitFor("the job to fail for good", async () => (await stateOf(jobId)) === "failed");
  return jobId;
};

describe("dead-letter view (real Redis)", () => {
  before(async () => {
    await raw.obliterate({ force: true });
    worker = new Worker(QUEUE, (job) => behaviour(job), { connection: queueConnection(), prefix: queuePrefix() });
  });
  after(async () => {
    await worker.close();
    await raw.obliterate({ force: true });
    await raw.close();
    await closeDeadLetterQueues();
  });

  it("lists a job that used every attempt, with its payload and last error, newest first", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const older = await deadJob();
    const newer = await deadJob({ attempts: 3, reason: "still 500 after three tries" });

    const { jobs, totals } = await listFailedJobs({ actor: admin });
    const mine = jobs.filter((job) => job.queue === QUEUE && [older, newer].includes(job.id));
    assert.deepEqual(
      mine.map((job) => job.id),
      [newer, older],
      "newest failure first",
    );
    const [latest] = mine;
    assert.equal(latest?.name, "notify.send");
    assert.equal(latest?.attemptsMade, 3);
    assert.equal(latest?.failedReason, "still 500 after three tries");
    assert.match(latest?.stackFirstLine ?? "", /^Error: still 500 after three tries$/);
    assert.deepEqual(Object.keys(latest?.data as object).sort(), ["channel", "notificationId"]);
    assert.ok(latest?.failedAt instanceof Date && latest.failedAt >= latest.createdAt);
    assert.ok(totals[QUEUE] >= 2);
  });

  it("lists a job thrown out as unrecoverable after one attempt", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    behaviour = async () => {
      throw new UnrecoverableError("invalid payload for notify.send");
    };
    const job = await raw.add("notify.send", { garbage: true }, { attempts: 5 });
    const jobId = String(job.id);
    await waitFor("the job to fail", async () => (await stateOf(jobId)) === "failed");
    const listed = (await listFailedJobs({ actor: admin })).jobs.find((entry) => entry.id === jobId);
    assert.equal(listed?.attemptsMade, 1);
    assert.equal(listed?.failedReason, "invalid payload for notify.send");
    assert.deepEqual(listed?.data, { garbage: true }, "the raw payload, as stored");
  });

  it("sends a retried job that fails again straight back to the list", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const jobId = await deadJob({ attempts: 2, reason: "down again" });
    await retryFailedJob({ actor: admin, queue: QUEUE, jobId });
    await waitFor("the retry to fail", async () => (await raw.getJob(jobId))?.attemptsMade === 3);
    await waitFor("the job to be failed again", async () => (await stateOf(jobId)) === "failed");
    const listed = (await listFailedJobs({ actor: admin })).jobs.find((entry) => entry.id === jobId);
    assert.equal(listed?.failedReason, "down again");
  });

  it("does not list a job that still has attempts left", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    behaviour = async () => {
      throw new Error("transient");
    };
    const job = await raw.add("notify.send", payload(), { attempts: 5, backoff: { type: "fixed", delay: 60_000 } });
    const jobId = String(job.id);
    await waitFor("the first attempt to fail", async () => (await stateOf(jobId)) === "delayed");
    const { jobs } = await listFailedJobs({ actor: admin });
    assert.equal(
      jobs.some((listed) => listed.id === jobId),
      false,
    );
    await job.remove();
  });

  it("retries a failed job, which then completes, and audits it", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const jobId = await deadJob();
    behaviour = async () => "delivered";

    await retryFailedJob({ actor: admin, queue: QUEUE, jobId, context: { requestId: "req-retry" } });
    await waitFor("the retried job to complete", async () => (await stateOf(jobId)) === "completed");
    assert.equal((await raw.getJob(jobId))?.returnvalue, "delivered");
    const { jobs } = await listFailedJobs({ actor: admin });
    assert.equal(
      jobs.some((job) => job.id === jobId),
      false,
    );

    const event = await db.auditEvent.findFirst({ where: { action: "job.retry", targetId: `${QUEUE}/${jobId}` } });
    assert.equal(event?.actorId, admin.userId);
    assert.equal(event?.targetType, "job");
    assert.equal(event?.outcome, "ALLOWED");
    assert.equal(event?.requestId, "req-retry");
  });

  it("discards a failed job for good, and audits it", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const jobId = await deadJob();

    await discardFailedJob({ actor: admin, queue: QUEUE, jobId });
    assert.equal(await raw.getJob(jobId), undefined);
    const event = await db.auditEvent.findFirst({ where: { action: "job.discard", targetId: `${QUEUE}/${jobId}` } });
    assert.equal(event?.actorId, admin.userId);
    await assert.rejects(
      discardFailedJob({ actor: admin, queue: QUEUE, jobId }),
      rejectsWith("NOT_FOUND"),
      "a second discard finds nothing",
    );
  });

  it("refuses anyone but an administrator, audits the refusal, and leaves the job alone", async () => {
    const engineer = await createActor({ groups: ["engineers"] });
    const security = await createActor({ groups: ["security-reviewers"] });
    const jobId = await deadJob();

    for (const actor of [engineer, security]) {
      await assert.rejects(listFailedJobs({ actor }), rejectsWith("FORBIDDEN"));
      await assert.rejects(retryFailedJob({ actor, queue: QUEUE, jobId }), rejectsWith("FORBIDDEN"));
      await assert.rejects(discardFailedJob({ actor, queue: QUEUE, jobId }), rejectsWith("FORBIDDEN"));
      const denials = await db.auditEvent.count({
        where: { actorId: actor.userId, action: "authz.denied", outcome: "DENIED" },
      });
      assert.equal(denials, 3);
    }
    assert.equal(await stateOf(jobId), "failed");
    assert.equal(await db.auditEvent.count({ where: { targetId: `${QUEUE}/${jobId}` } }), 0);
  });

  it("refuses a queue that is not one of ours, and a malformed job id", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    for (const queue of ["nope", "bull", "__proto__", ""]) {
      await assert.rejects(retryFailedJob({ actor: admin, queue, jobId: "1" }), rejectsWith("INVALID_INPUT"), queue);
      await assert.rejects(discardFailedJob({ actor: admin, queue, jobId: "1" }), rejectsWith("INVALID_INPUT"), queue);
    }
    await assert.rejects(retryFailedJob({ actor: admin, queue: QUEUE, jobId: "" }), rejectsWith("INVALID_INPUT"));
    await assert.rejects(retryFailedJob({ actor: admin, queue: QUEUE, jobId: "a:b" }), rejectsWith("INVALID_INPUT"));
    await assert.rejects(listFailedJobs({ actor: admin, limit: 0 }), rejectsWith("INVALID_INPUT"));
  });

  it("answers NOT_FOUND for a job that is not failed, and changes nothing", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    behaviour = async () => "ok";
    const done = await raw.add("notify.send", payload());
    await waitFor("the job to complete", async () => (await stateOf(String(done.id))) === "completed");
    const later = await raw.add("notify.send", payload(), { delay: 60_000 });
    const failedElsewhere = await deadJob();

    for (const jobId of [String(done.id), String(later.id), "no-such-job"]) {
      await assert.rejects(retryFailedJob({ actor: admin, queue: QUEUE, jobId }), rejectsWith("NOT_FOUND"), jobId);
      await assert.rejects(discardFailedJob({ actor: admin, queue: QUEUE, jobId }), rejectsWith("NOT_FOUND"), jobId);
    }
    assert.equal(await stateOf(String(done.id)), "completed");
    assert.equal(await stateOf(String(later.id)), "delayed");
    // The right id on the wrong queue is not that job.
    await assert.rejects(
      retryFailedJob({ actor: admin, queue: "webhooks", jobId: failedElsewhere }),
      rejectsWith("NOT_FOUND"),
    );
    assert.equal(await stateOf(failedElsewhere), "failed");
    assert.equal(
      await db.auditEvent.count({
        where: {
          action: { in: ["job.retry", "job.discard"] },
          targetId: { startsWith: `${QUEUE}/${String(later.id)}` },
        },
      }),
      0,
    );
    await later.remove();
  });

  it("lists outbox rows that could not be relayed, and only those", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const tag = randomUUID().slice(0, 8);
    const stuck = await db.outboxJob.create({
      data: {
        queue: QUEUE,
        name: "notify.send",
        jobId: `stuck-${tag}`,
        payload: payload(),
        attempts: 4,
        lastError: "Connection is closed.",
      },
    });
    await db.outboxJob.create({
      data: { queue: QUEUE, name: "notify.send", jobId: `pending-${tag}`, payload: payload() },
    });
    await db.outboxJob.create({
      data: {
        queue: QUEUE,
        name: "notify.send",
        jobId: `sent-${tag}`,
        payload: payload(),
        dispatchedAt: new Date(),
        lastError: "once failed",
      },
    });

    const { outbox } = await listFailedJobs({ actor: admin });
    const mine = outbox.filter((row) => row.jobId.endsWith(tag));
    assert.deepEqual(
      mine.map((row) => row.jobId),
      [`stuck-${tag}`],
    );
    assert.equal(mine[0]?.id, String(stuck.id));
    assert.equal(mine[0]?.lastError, "Connection is closed.");
    assert.equal(mine[0]?.attempts, 4);
  });
});
