/**
 * Slack's refusals are never lost (issue 18): a chat.sync job that Slack answers with
 * channel_not_found or not_in_channel ends in the failed set and is listed by the function the
 * Admin → Failed jobs page uses; a 429 is waited out and retried until the message is posted.
 * Real Redis and BullMQ (startWorkers, the worker runtime), real PostgreSQL, the Slack stand-in.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

// A queue prefix of this file's own: the notify queue's other consumers in the suite
// (lib/queue/dead-letter.integration.test.ts runs a worker of its own) must not take these jobs.
process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX ?? "jit-test"}-chat-jobs`;
const { Queue } = await import("bullmq");
const { requestAccess } = await import("../access/request-access");
const { db, disconnectDb } = await import("../db");
const { queueConnection, queuePrefix } = await import("../queue/connection");
const { closeDeadLetterQueues, listFailedJobs } = await import("../queue/dead-letter");
const { closeQueues, enqueue } = await import("../queue/producer");
const { startWorkers } = await import("../queue/runtime");
const { parseAllowList } = await import("../security/outbound");
const { startFakeSlack } = await import("../testing/fake-slack");
const { createActor, createResourceWithPolicy, uniqueId } = await import("../testing/fixtures");
const { syncRequestMessages } = await import("./sync-request-messages");

const fake = await startFakeSlack();
// queueChatSync writes chat.sync jobs only when Slack is configured: before anything reads it.
process.env.SLACK_BOT_TOKEN = fake.token;
process.env.SLACK_API_URL = fake.apiUrl;
const outboundPolicy = { allowed: parseAllowList("127.0.0.0/8").entries };
// The channel each request's messages go to, as the configuration would name it.
const channelOf = new Map<string, string>();
const runtime = startWorkers({
  handlers: {
    notify: {
      "notify.send": async () => undefined,
      "chat.sync": async (payload) =>
        syncRequestMessages({
          ...payload,
          settings: {
            appUrl: "http://localhost:3000",
            slack: {
              botToken: fake.token,
              apiUrl: fake.apiUrl,
              approvalChannel: channelOf.get(payload.requestId) ?? null,
              securityChannel: null,
              outboundPolicy,
            },
            teamsWebhookUrl: null,
            outboundPolicy,
          },
        }),
    },
  },
  concurrency: 1,
  shutdownTimeoutMs: 5_000,
});
const queue = new Queue("notify", { connection: queueConnection(), prefix: queuePrefix() });

after(async () => {
  await runtime.shutdown("test done");
  await queue.obliterate({ force: true });
  await queue.close();
  await closeQueues();
  await closeDeadLetterQueues();
  await fake.close();
  await disconnectDb();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const settled = async (jobId: string, timeoutMs = 20_000): Promise<string> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = (await (await queue.getJob(jobId))?.getState()) ?? "gone";
    if (state === "failed" || state === "completed") return state;
    if (Date.now() > deadline) assert.fail(`job ${jobId} still ${state}`);
    await sleep(50);
  }
};

describe("Slack errors in the chat.sync job", () => {
  let policyId = "";
  before(async () => {
    ({
      policy: { id: policyId },
    } = await createResourceWithPolicy({ approverGroups: [uniqueId("appr")] }));
  });

  /** A waiting request whose chat.sync job (the one its transaction wrote to the outbox) is relayed. */
  const requestWithJob = async (channel: string): Promise<{ requestId: string; jobId: string }> => {
    const requester = await createActor({ groups: ["engineers"] });
    const { requestId } = await requestAccess({
      actor: requester,
      input: { policyId, permissions: ["read"], durationMinutes: 30, justification: `Look at INC-${channel}` },
    });
    channelOf.set(requestId, channel);
    const row = await db.outboxJob.findFirstOrThrow({
      where: { name: "chat.sync", payload: { path: ["requestId"], equals: requestId } },
    });
    // What the outbox relay does with the row: same name, payload and deterministic job id.
    const { jobId } = await enqueue("chat.sync", row.payload as { requestId: string; provider: "slack" }, {
      jobId: row.jobId,
    });
    return { requestId, jobId };
  };

  for (const [error, channel, hint] of [
    ["channel_not_found", "C0NOTFOUND1", /check the channel id/],
    ["not_in_channel", "C0OUTSIDE1", /invite the app/],
  ] as const)
    it(`fails the job for good on ${error}, and Admin → Failed jobs lists it with the reason`, async () => {
      if (error === "not_in_channel") fake.notInChannel.add(channel);
      const { requestId, jobId } = await requestWithJob(channel);
      assert.equal(await settled(jobId), "failed");
      const admin = await createActor({ groups: ["portal-admins"] });
      const listed = (await listFailedJobs({ actor: admin })).jobs.find((job) => job.id === jobId);
      assert.ok(listed, "the failed job is listed");
      assert.equal(listed.queue, "notify");
      assert.equal(listed.name, "chat.sync");
      assert.deepEqual(listed.data, { requestId, provider: "slack" });
      assert.equal(listed.attemptsMade, 1, "not retried: a retry cannot fix it");
      assert.match(listed.failedReason, new RegExp(`Slack refused chat.postMessage to ${channel}: ${error}`));
      assert.match(listed.failedReason, hint);
      assert.equal(await db.chatMessage.count({ where: { requestId } }), 0);
    });

  it("waits out 429s with Retry-After, retries the job when they persist, and then posts", async () => {
    const channel = "C0BUSY1";
    // The client's own tries (1 + 2 retries) all meet a 429: the first attempt fails, the job
    // is retried with backoff and the second attempt posts.
    for (let i = 0; i < 3; i += 1) fake.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const { requestId, jobId } = await requestWithJob(channel);
    assert.equal(await settled(jobId, 30_000), "completed");
    const job = await queue.getJob(jobId);
    assert.equal(job?.attemptsMade, 2, "one failed attempt, then the one that posted");
    const posts = fake.calls.filter((call) => call.method === "chat.postMessage" && call.args.channel === channel);
    assert.equal(posts.length, 4, "three answered 429, the fourth posted");
    for (let i = 1; i < 3; i += 1)
      assert.ok((posts[i]?.at ?? 0) - (posts[i - 1]?.at ?? 0) >= 1_000, "each Retry-After was honoured");
    const row = await db.chatMessage.findFirstOrThrow({ where: { requestId } });
    assert.equal(row.channel, channel);
    const admin = await createActor({ groups: ["portal-admins"] });
    assert.equal(
      (await listFailedJobs({ actor: admin })).jobs.some((listed) => listed.id === jobId),
      false,
    );
    assert.deepEqual(fake.violations, []);
  });
});
