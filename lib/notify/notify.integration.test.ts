import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, beforeEach, describe, it } from "node:test";
import { Queue } from "bullmq";
import { reconcileLifecycle } from "../access/lifecycle";
import { db, disconnectDb } from "../db";
import { queueConnection, queuePrefix } from "../queue/connection";
import { closeQueues } from "../queue/producer";
import { redis } from "../redis";
import { bullJobId } from "../queue/outbox";
import { createActor, createUser } from "../testing/fixtures";
import { zodIssueAt } from "../testing/matchers";
import { startDevSmtp } from "./dev-smtp";
import { closeMailTransports, sendNotification, type TDeliverySettings } from "./send-notification";
import { chatJobId, emailJobId, notify } from "./notify";
import { listNotifications, markNotificationsRead } from "./list-notifications";

// A real HTTP receiver for the chat webhook, and a real SMTP listener. The webhook URL goes into
// the environment before anything reads the configuration (notify() reads it).
type TReceived = { headers: IncomingMessage["headers"]; body: string };
const chatRequests: TReceived[] = [];
let chatStatus = 200;
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    chatRequests.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
    response.writeHead(chatStatus, { "content-type": "text/plain" }).end(chatStatus === 200 ? "ok" : "internal_error");
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const chatUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T000/B000/secret`;
process.env.CHAT_WEBHOOK_URL = chatUrl;

const mailDir = await mkdtemp(path.join(tmpdir(), "jit-notify-mail-"));
const smtp = await startDevSmtp({ port: 0, dir: mailDir });

const settings: TDeliverySettings = {
  smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
  mailFrom: "JIT Access <jit-access@localhost>",
  chatWebhookUrl: chatUrl,
  appUrl: "http://localhost:3000",
};

after(async () => {
  await closeQueues();
  redis().disconnect();
  closeMailTransports();
  await smtp.close();
  await new Promise((resolve) => receiver.close(resolve));
  await rm(mailDir, { recursive: true, force: true });
  await disconnectDb();
});

beforeEach(() => {
  chatRequests.length = 0;
  chatStatus = 200;
});

const HOSTILE = "<script>alert(1)</script>";

const outboxFor = (ids: string[]) =>
  db.outboxJob.findMany({
    where: { jobId: { in: ids.flatMap((id) => [bullJobId(emailJobId(id)), bullJobId(chatJobId(id))]) } },
    orderBy: { id: "asc" },
  });

/** Waits for the listener to have stored a message for `address`. */
const mailTo = async (address: string) => {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const mail = smtp.messages().find((message) => message.to.includes(address));
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no mail for ${address}`);
};

describe("notify(): rows and outbox jobs in the caller's transaction", () => {
  it("writes one row per recipient, an e-mail job per active recipient and one chat job for a security notice", async () => {
    const requester = await createUser({ groups: ["engineers"] });
    const reviewer = await createUser({ groups: ["security-reviewers"] });
    const formerReviewer = await createUser({ groups: ["security-reviewers"] });
    await db.user.update({ where: { id: formerReviewer.id }, data: { deactivatedAt: new Date() } });
    const deactivated = await createUser({ groups: ["engineers"] });
    await db.user.update({ where: { id: deactivated.id }, data: { deactivatedAt: new Date() } });

    const { notificationIds } = await db.$transaction((tx) =>
      notify(tx, {
        // The reviewer is named twice (directly and through the security flag): one row.
        recipients: { userIds: [requester.id, reviewer.id, deactivated.id, "no-such-user"], security: true },
        kind: "grant.break_glass",
        title: "Break-glass access to prod-postgres",
        body: `Justification: ${HOSTILE}`,
        link: "/requests/0193a8f0-7c1e-7b2a-9c3d-1234567890ab",
      }),
    );

    const rows = await db.notification.findMany({ where: { id: { in: notificationIds } } });
    const byUser = new Map(rows.map((row) => [row.userId, row]));
    assert.equal(rows.length, new Set(rows.map((row) => row.userId)).size, "one row per recipient");
    assert.ok(byUser.has(requester.id) && byUser.has(reviewer.id) && byUser.has(deactivated.id));
    assert.equal(byUser.has(formerReviewer.id), false, "deactivated reviewers are not security recipients");
    assert.equal(byUser.get(requester.id)?.body, `Justification: ${HOSTILE}`, "stored as typed; escaped when rendered");

    const jobs = await outboxFor(notificationIds);
    const emailJobs = jobs.filter((job) => (job.payload as { channel: string }).channel === "email");
    const chatJobs = jobs.filter((job) => (job.payload as { channel: string }).channel === "chat");
    assert.ok(jobs.every((job) => job.queue === "notify" && job.name === "notify.send" && job.dispatchedAt === null));
    const emailed = new Set(
      emailJobs.map(
        (job) => rows.find((row) => row.id === (job.payload as { notificationId: string }).notificationId)?.userId,
      ),
    );
    assert.ok(emailed.has(requester.id) && emailed.has(reviewer.id));
    assert.equal(emailed.has(deactivated.id), false, "no e-mail to a deactivated user");
    assert.equal(emailJobs.length, rows.length - 1);
    assert.equal(chatJobs.length, 1, "one chat post per notice, not one per reviewer");
    const carrier = (chatJobs[0]?.payload as { notificationId: string }).notificationId;
    assert.equal(chatJobs[0]?.jobId, bullJobId(chatJobId(carrier)));
    for (const job of emailJobs)
      assert.equal(job.jobId, bullJobId(emailJobId((job.payload as { notificationId: string }).notificationId)));
  });

  it("leaves nothing behind when the caller's transaction rolls back", async () => {
    const user = await createUser();
    const before = await db.outboxJob.count();
    let ids: string[] = [];
    await assert.rejects(
      db.$transaction(async (tx) => {
        ids = (
          await notify(tx, {
            recipients: { userIds: [user.id], security: true },
            kind: "test.rollback",
            title: "t",
            body: "b",
          })
        ).notificationIds;
        assert.ok(ids.length >= 1);
        throw new Error("the change failed");
      }),
      /the change failed/,
    );
    assert.equal(await db.notification.count({ where: { id: { in: ids } } }), 0);
    assert.equal(await db.notification.count({ where: { userId: user.id } }), 0);
    assert.equal(await db.outboxJob.count(), before);
  });

  it("refuses links that leave the portal and notices without recipients", async () => {
    const user = await createUser();
    for (const link of [
      "https://evil.example/x",
      "//evil.example/x",
      "/\\evil.example",
      "javascript:alert(1)",
      "/ok path",
    ]) {
      await assert.rejects(
        db.$transaction((tx) =>
          notify(tx, { recipients: { userIds: [user.id] }, kind: "k", title: "t", body: "b", link }),
        ),
        link,
      );
    }
    await assert.rejects(
      db.$transaction((tx) => notify(tx, { recipients: {}, kind: "k", title: "t", body: "b" })),
      zodIssueAt("recipients"),
    );
    assert.equal(await db.notification.count({ where: { userId: user.id } }), 0);
  });
});

describe("sendNotification(): real SMTP and a real webhook receiver", () => {
  const stored = async (options: { groups?: string[]; title?: string } = {}) => {
    const user = await createUser({ groups: options.groups ?? ["engineers"], name: "Alice <b>Engineer</b>" });
    const { notificationIds } = await db.$transaction((tx) =>
      notify(tx, {
        recipients: { userIds: [user.id] },
        kind: "request.submitted",
        title: options.title ?? "New request for prod-postgres write",
        body: `Justification: ${HOSTILE} & <!channel>`,
        link: "/requests/0193a8f0-7c1e-7b2a-9c3d-1234567890ab",
      }),
    );
    return { user, notificationId: notificationIds[0] as string };
  };

  it("e-mails the recipient with the title as subject and the stored text escaped in the HTML", async () => {
    const { user, notificationId } = await stored();
    assert.deepEqual(await sendNotification({ notificationId, channel: "email", settings }), { status: "sent" });

    const mail = await mailTo(user.email);
    assert.equal(mail.subject, "New request for prod-postgres write");
    assert.deepEqual(mail.to, [user.email]);
    assert.match(mail.from, /jit-access@localhost/);
    assert.ok(mail.text.includes(`Justification: ${HOSTILE} & <!channel>`));
    assert.ok(mail.text.includes("http://localhost:3000/requests/0193a8f0-7c1e-7b2a-9c3d-1234567890ab"));
    assert.ok(mail.html);
    assert.ok(mail.html.includes("Justification: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;"));
    assert.ok(mail.html.includes("Hello Alice &lt;b&gt;Engineer&lt;/b&gt;,"));
    assert.doesNotMatch(mail.html, /<script|<b>/i);
  });

  it("sends each copy once: a re-run job after a successful send sends nothing, and the reconciler re-creates only unsent copies", async () => {
    const { user, notificationId } = await stored({ title: "Sent once" });
    const before = smtp.messages().filter((message) => message.to.includes(user.email)).length;
    assert.deepEqual(await sendNotification({ notificationId, channel: "email", settings }), { status: "sent" });
    assert.deepEqual(await sendNotification({ notificationId, channel: "email", settings }), {
      status: "skipped",
      reason: "already sent",
    });
    assert.equal(smtp.messages().filter((message) => message.to.includes(user.email)).length, before + 1);
    assert.ok((await db.notification.findUniqueOrThrow({ where: { id: notificationId } })).emailSentAt);

    // Redis lost the job of another, unsent notice: the reconciler finds it (and not the sent one).
    const { notificationId: unsentId } = await stored({ title: "Never sent" });
    const { notifications } = await reconcileLifecycle();
    assert.ok(notifications >= 1);
    const queue = new Queue("notify", { connection: queueConnection(), prefix: queuePrefix() });
    try {
      assert.ok(await queue.getJob(bullJobId(emailJobId(unsentId))), "the unsent copy's job is back");
      assert.equal(await queue.getJob(bullJobId(emailJobId(notificationId))), undefined, "the sent copy's is not");
    } finally {
      await queue.close();
    }
  });

  it("posts a security notice to the chat webhook as JSON with mrkdwn escaped", async () => {
    const { notificationId } = await stored({ title: "Break-glass <@U999> by Mallory" });
    assert.deepEqual(await sendNotification({ notificationId, channel: "chat", settings }), { status: "sent" });

    assert.equal(chatRequests.length, 1);
    const request = chatRequests[0] as TReceived;
    assert.match(String(request.headers["content-type"]), /^application\/json/);
    const payload = JSON.parse(request.body) as { text: string; blocks?: Array<{ text: { text: string } }> };
    assert.ok(payload.text.startsWith("*Break-glass &lt;@U999&gt; by Mallory*\n"));
    assert.ok(payload.text.includes("Justification: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;"));
    assert.ok(
      payload.text.endsWith("<http://localhost:3000/requests/0193a8f0-7c1e-7b2a-9c3d-1234567890ab|Open in JIT Access>"),
    );
    assert.equal(payload.blocks?.[0]?.text.text, payload.text);
  });

  it("throws on a non-2xx answer from the webhook, so the job is retried", async () => {
    const { notificationId } = await stored();
    chatStatus = 500;
    await assert.rejects(sendNotification({ notificationId, channel: "chat", settings }), (error: Error) => {
      assert.match(error.message, /chat webhook answered 500/);
      assert.ok(!error.message.includes("secret"), "the webhook URL is a credential and stays out of errors");
      return true;
    });
    assert.equal(chatRequests.length, 1);
  });

  it("throws when the mail server cannot be reached", async () => {
    const { notificationId } = await stored();
    const gone = await startDevSmtp({ port: 0, dir: mailDir });
    await gone.close();
    await assert.rejects(
      sendNotification({
        notificationId,
        channel: "email",
        settings: { ...settings, smtpUrl: `smtp://127.0.0.1:${gone.port}` },
      }),
      (error: unknown) => {
        assert.match(String((error as { code?: unknown }).code), /ECONNREFUSED|ESOCKET|ECONNECTION/);
        return true;
      },
    );
  });

  it("skips, without sending, when SMTP_URL is unset, when the recipient is deactivated, or the row is gone", async () => {
    const { user, notificationId } = await stored();
    const count = smtp.messages().length;
    assert.deepEqual(
      await sendNotification({ notificationId, channel: "email", settings: { ...settings, smtpUrl: null } }),
      {
        status: "skipped",
        reason: "SMTP_URL is not set",
      },
    );
    await db.user.update({ where: { id: user.id }, data: { deactivatedAt: new Date() } });
    assert.equal((await sendNotification({ notificationId, channel: "email", settings })).status, "skipped");
    assert.equal(
      (await sendNotification({ notificationId: "0193a8f0-7c1e-7b2a-9c3d-000000000000", channel: "email", settings }))
        .status,
      "skipped",
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(smtp.messages().length, count);
  });
});

describe("listing and marking read: scoped to the actor", () => {
  const give = (userId: string, title: string) =>
    db.$transaction((tx) => notify(tx, { recipients: { userIds: [userId] }, kind: "test.scope", title, body: "b" }));

  it("lists only the actor's notifications, newest first, with the unread count", async () => {
    const alice = await createActor();
    const bob = await createActor();
    await give(alice.userId, "first for alice");
    await give(bob.userId, "for bob");
    await give(alice.userId, "second for alice");

    const mine = await listNotifications({ actor: alice });
    assert.deepEqual(
      mine.notifications.map((n) => n.title),
      ["second for alice", "first for alice"],
    );
    assert.equal(mine.unread, 2);
    const theirs = await listNotifications({ actor: bob });
    assert.deepEqual(
      theirs.notifications.map((n) => n.title),
      ["for bob"],
    );
  });

  it("marks only the actor's own notifications read, whatever ids are passed", async () => {
    const alice = await createActor();
    const bob = await createActor();
    const [aliceFirst] = (await give(alice.userId, "a1")).notificationIds;
    await give(alice.userId, "a2");
    const [bobs] = (await give(bob.userId, "b1")).notificationIds;
    assert.ok(aliceFirst && bobs);

    // Someone else's id: matches nothing.
    assert.deepEqual(await markNotificationsRead({ actor: alice, ids: [bobs] }), { updated: 0 });
    assert.equal((await db.notification.findUniqueOrThrow({ where: { id: bobs } })).readAt, null);

    assert.deepEqual(await markNotificationsRead({ actor: alice, ids: [aliceFirst, bobs] }), { updated: 1 });
    assert.equal((await listNotifications({ actor: alice })).unread, 1);

    assert.deepEqual(await markNotificationsRead({ actor: alice }), { updated: 1 });
    assert.equal((await listNotifications({ actor: alice })).unread, 0);
    assert.equal((await listNotifications({ actor: bob })).unread, 1, "bob's stay unread");
    await assert.rejects(markNotificationsRead({ actor: alice, ids: [""] }), zodIssueAt("ids.0"));
  });
});
