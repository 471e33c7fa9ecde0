/**
 * Approvals in Slack against a local Slack stand-in (lib/testing/fake-slack.ts) that speaks
 * only the documented shapes and records anything else as a violation, with Slack's official
 * client (@slack/web-api) pointed at it, real PostgreSQL and real passkey assertions.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { UnrecoverableError } from "bullmq";
import { decideRequest, startDecision } from "../access/decide-request";
import { requestAccess } from "../access/request-access";
import { cancelRequest } from "../access/cancel-request";
import { rolesForGroups, type TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { parseAllowList } from "../security/outbound";
import { startFakeSlack, type TFakeSlack } from "../testing/fake-slack";
import { createActorWithPasskey, createResourceWithPolicy, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { checkAdaptiveCard } from "../testing/adaptive-card-schema";
import { dumpSlackBlocks, type TSlackBlock } from "./approval-card";
import { decisionLinkPath, redeemDecisionLink, signDecisionLink, DECISION_LINK_TTL_MS } from "./decision-link";
import { syncRequestMessages, type TChatSettings } from "./sync-request-messages";

const fake: TFakeSlack = await startFakeSlack();
// queueChatSync reads the configuration: Slack is configured before anything reads it.
process.env.SLACK_BOT_TOKEN = fake.token;
process.env.SLACK_API_URL = fake.apiUrl;
process.env.SLACK_APPROVAL_CHANNEL = "C0APPROVALS";

const APP_URL = "http://localhost:3000";
const settings = (channel = "C0APPROVALS"): TChatSettings => ({
  appUrl: APP_URL,
  slack: { botToken: fake.token, apiUrl: fake.apiUrl, approvalChannel: channel, securityChannel: "C0SECURITY" },
  teamsWebhookUrl: null,
  outboundPolicy: { allowed: parseAllowList("127.0.0.0/8").entries },
});

after(async () => {
  await fake.close();
  await disconnectDb();
});

type TPerson = { actor: TUserActor; authenticator: TSoftwareAuthenticator };
const withPasskey = async (groups: string[], approver = false): Promise<TPerson> => {
  const person = await createActorWithPasskey({ groups });
  person.actor.roles = [...rolesForGroups(groups), ...(approver ? (["approver"] as const) : [])];
  return person;
};
const decide = async (person: TPerson, requestId: string, decision: "APPROVE" | "DENY", comment?: string) => {
  const options = await startDecision({ actor: person.actor, requestId, decision });
  const assertion = await person.authenticator.assert(options);
  return decideRequest({ actor: person.actor, input: { requestId, decision, comment, assertion } });
};

const messageIn = (channel: string) => [...fake.messages.values()].find((message) => message.channel === channel);
const dump = (blocks: unknown[]) => dumpSlackBlocks(blocks as TSlackBlock[]);

describe("Slack approval messages", () => {
  const approverGroup = uniqueId("appr");
  let policyId = "";
  let requester: TPerson;
  let approverOne: TPerson;
  let approverTwo: TPerson;

  before(async () => {
    const { policy } = await createResourceWithPolicy({ approverGroups: [approverGroup] });
    await db.accessPolicy.update({ where: { id: policy.id }, data: { approvalsRequired: 2 } });
    policyId = policy.id;
    requester = await withPasskey(["engineers"]);
    approverOne = await withPasskey([approverGroup], true);
    approverTwo = await withPasskey([approverGroup], true);
    // Approver one is in the workspace under their verified e-mail; approver two is not.
    fake.users.set((approverOne.actor.email as string).toLowerCase(), "U0APPROVER1");
  });

  // A fresh requester each time: one open request or grant per person, resource and permission.
  const submit = async (justification = "Fix the broken migration for INC-4211 <!channel> *now*") => {
    requester = await withPasskey(["engineers"]);
    const submitted = await requestAccess({
      actor: requester.actor,
      input: { policyId, permissions: ["write"], durationMinutes: 30, justification, ticket: "INC-4211" },
    });
    return submitted;
  };

  it("posts one message per channel and DM when a request waits, then edits the same messages as it is decided", async () => {
    const { requestId } = await submit();
    // The request's transaction queued the sync through the outbox.
    const queued = await db.outboxJob.findMany({
      where: { name: "chat.sync", payload: { path: ["requestId"], equals: requestId } },
    });
    assert.equal(queued.length, 1);

    assert.deepEqual(await syncRequestMessages({ requestId, provider: "slack", settings: settings() }), {
      posted: 2,
      updated: 0,
    });
    const channelMessage = messageIn("C0APPROVALS");
    const dm = messageIn("D0APPROVER1");
    assert.ok(channelMessage && dm, "a channel message and a DM to the linked approver");
    const posted = dump(channelMessage.blocks);
    assert.match(posted, /asks for write on Resource-/);
    assert.match(posted, /\*Approvals\*: 0 of 2/);
    assert.match(posted, /\*Ticket\*: INC-4211/);
    // What the requester typed stays text: no @channel, no bold.
    assert.match(posted, /&lt;!channel&gt;/);
    assert.match(posted, /\[Approve\.\.\.\]\(http:\/\/localhost:3000\/requests\/[0-9a-f-]+\?decision=approve\)/);
    // The DM's buttons are signed links for approver one.
    const dmText = dump(dm.blocks);
    const approveUrl = /\[Approve\.\.\.\]\(([^)]+)\)/.exec(dmText)?.[1];
    assert.ok(approveUrl?.includes("?link="));
    const rows = await db.chatMessage.findMany({ where: { requestId }, orderBy: { target: "asc" } });
    assert.deepEqual(
      rows.map((row) => [row.target, row.channel, row.ts === null, row.approverId]),
      [
        ["C0APPROVALS", "C0APPROVALS", false, null],
        ["U0APPROVER1", "D0APPROVER1", false, approverOne.actor.userId],
      ],
    );
    // The lookup is cached: a second sync asks Slack for nobody.
    const lookups = () => fake.calls.filter((call) => call.method === "users.lookupByEmail").length;
    const before = lookups();

    // Approver one follows the DM's Approve... link, then confirms with the passkey.
    const token = new URL(approveUrl as string).searchParams.get("link") as string;
    assert.deepEqual(await redeemDecisionLink({ actor: approverOne.actor, requestId, token }), { decision: "APPROVE" });
    await decide(approverOne, requestId, "APPROVE");
    assert.deepEqual(await syncRequestMessages({ requestId, provider: "slack", settings: settings() }), {
      posted: 0,
      updated: 2,
    });
    assert.match(dump(channelMessage.blocks), /\*Approvals\*: 1 of 2 \(/);
    // Approver two, not in the workspace, is looked up again; approver one, cached, is not.
    assert.equal(lookups(), before + 1);
    assert.equal(
      fake.calls.filter((call) => call.method === "users.lookupByEmail" && call.args.email === approverOne.actor.email)
        .length,
      1,
    );

    await decide(approverTwo, requestId, "APPROVE");
    await syncRequestMessages({ requestId, provider: "slack", settings: settings() });
    const updated = dump(channelMessage.blocks);
    assert.match(updated, /\*Approvals\*: 2 of 2/);
    assert.match(updated, /Approved: the grant is active until/);
    assert.doesNotMatch(updated, /Approve\.\.\./);
    assert.equal(channelMessage.edits, 2);
    assert.equal([...fake.messages.values()].filter((message) => message.channel === "C0APPROVALS").length, 1);
    assert.deepEqual(fake.violations, []);

    if (process.env.CHAT_DUMP_FILE)
      await writeFile(
        process.env.CHAT_DUMP_FILE,
        `--- posted (chat.postMessage) ---\n${posted}\n\n--- updated (chat.update) ---\n${updated}\n\n--- raw blocks of the update ---\n${JSON.stringify(channelMessage.blocks, null, 2)}\n`,
      );
  });

  it("names the teammate who filed a request, and sends neither of the two a DM to decide it", async () => {
    const oncall = uniqueId("oncall");
    // A group of the filer's own among the approvers, so the suite's other requests never DM them.
    const leads = uniqueId("leads");
    const { policy } = await createResourceWithPolicy({
      requesterGroups: [oncall],
      approverGroups: [approverGroup, leads],
    });
    await db.accessPolicy.update({ where: { id: policy.id }, data: { onBehalfOfAllowed: true } });
    // The filer approves this policy and is in the workspace: still no DM for this one.
    const filer = await withPasskey([oncall, leads], true);
    const next = await withPasskey([oncall]);
    fake.users.set((filer.actor.email as string).toLowerCase(), "U0FILER01");
    const { requestId } = await requestAccess({
      actor: filer.actor,
      input: {
        policyId: policy.id,
        permissions: ["write"],
        durationMinutes: 30,
        justification: "Handing INC-4216 to the next on-call",
        onBehalfOfEmail: next.actor.email as string,
      },
    });
    await syncRequestMessages({ requestId, provider: "slack", settings: settings() });
    const rows = await db.chatMessage.findMany({ where: { requestId } });
    assert.deepEqual(rows.map((row) => row.target).sort(), ["C0APPROVALS", "U0APPROVER1"], "no DM to the filer");
    const posted =
      [...fake.messages.values()]
        .filter((message) => message.channel === "C0APPROVALS")
        .map((message) => dump(message.blocks))
        .find((text) => text.includes("INC-4216")) ?? "";
    assert.match(posted, new RegExp(`${filer.actor.name} asks for write on Resource-[\\w-]+ for ${next.actor.name}`));
    assert.match(posted, new RegExp(`\\*Requester\\*: ${next.actor.name} \\(filed by ${filer.actor.name}\\)`));
  });

  it("shows a cancellation in place", async () => {
    const { requestId } = await submit("Rotate the reporting credentials for INC-4212");
    await syncRequestMessages({ requestId, provider: "slack", settings: settings() });
    await cancelRequest({ actor: requester.actor, requestId });
    await syncRequestMessages({ requestId, provider: "slack", settings: settings() });
    const row = await db.chatMessage.findFirstOrThrow({ where: { requestId, target: "C0APPROVALS" } });
    const message = fake.messages.get(`${row.channel}/${row.ts}`);
    assert.match(dump(message?.blocks ?? []), /Cancelled by the requester/);
    assert.equal(row.lastState, "cancelled");
  });

  it("posts to the resource's own channel when the catalog names one", async () => {
    const { requestId } = await submit("Check the replica lag for INC-4215");
    const request = await db.accessRequest.findUniqueOrThrow({
      where: { id: requestId },
      select: { resourceId: true },
    });
    await db.resource.update({ where: { id: request.resourceId }, data: { slackChannel: "C0RESOURCE" } });
    try {
      await syncRequestMessages({ requestId, provider: "slack", settings: settings() });
      const targets = await db.chatMessage.findMany({
        where: { requestId, approverId: null },
        select: { target: true },
      });
      assert.deepEqual(targets, [{ target: "C0RESOURCE" }]);
    } finally {
      await db.resource.update({ where: { id: request.resourceId }, data: { slackChannel: null } });
    }
  });

  it("fails the job for good on channel_not_found and not_in_channel, so Failed jobs lists it with a hint", async () => {
    const { requestId } = await submit("Check the replica lag for INC-4213");
    await assert.rejects(
      syncRequestMessages({ requestId, provider: "slack", settings: settings("C0NOTFOUND") }),
      (error: unknown) => error instanceof UnrecoverableError && /channel_not_found/.test(error.message),
    );
    fake.notInChannel.add("C0OUTSIDE");
    await assert.rejects(
      syncRequestMessages({ requestId, provider: "slack", settings: settings("C0OUTSIDE") }),
      (error: unknown) => error instanceof UnrecoverableError && /not_in_channel.*invite the app/.test(error.message),
    );
  });

  it("waits out a 429's Retry-After and then posts", async () => {
    const { requestId } = await submit("Check the replica lag for INC-4214");
    fake.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const started = Date.now();
    const result = await syncRequestMessages({ requestId, provider: "slack", settings: settings("C0RATELIMIT") });
    assert.equal(result.posted, 2);
    assert.ok(Date.now() - started >= 1_000, "the client honoured Retry-After");
    const posts = fake.calls.filter(
      (call) => call.method === "chat.postMessage" && call.args.channel === "C0RATELIMIT",
    );
    assert.equal(posts.length, 2, "the refused call and its retry");
  });
});

describe("Teams Workflows webhook", () => {
  it("posts the Adaptive Card once per state, through a real HTTP receiver", async () => {
    const received: Array<{ type: string; body: unknown }> = [];
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({
          type: request.headers["content-type"] ?? "",
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown,
        });
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/workflows/abc/triggers/manual/paths/invoke?sig=secret`;
    const teams: TChatSettings = { ...settings(), slack: null, teamsWebhookUrl: url };
    try {
      const { policy } = await createResourceWithPolicy({ approverGroups: [uniqueId("appr")] });
      const requester = await withPasskey(["engineers"]);
      const { requestId } = await requestAccess({
        actor: requester.actor,
        input: {
          policyId: policy.id,
          permissions: ["read"],
          durationMinutes: 30,
          justification: "Look at the slow queries for INC-77",
        },
      });
      assert.deepEqual(await syncRequestMessages({ requestId, provider: "teams", settings: teams }), {
        posted: 1,
        updated: 0,
      });
      assert.equal((await syncRequestMessages({ requestId, provider: "teams", settings: teams })).posted, 0);
      await cancelRequest({ actor: requester.actor, requestId });
      assert.equal((await syncRequestMessages({ requestId, provider: "teams", settings: teams })).posted, 1);
      assert.equal(received.length, 2);
      for (const { type, body } of received) {
        assert.equal(type, "application/json");
        const envelope = body as { type: string; attachments: Array<{ contentType: string; content: unknown }> };
        assert.equal(envelope.type, "message");
        assert.equal(envelope.attachments[0]?.contentType, "application/vnd.microsoft.card.adaptive");
        assert.deepEqual(checkAdaptiveCard(envelope.attachments[0]?.content), []);
      }
      assert.match(JSON.stringify(received[1]?.body), /Cancelled by the requester/);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe("signed decision links", () => {
  const approverGroup = uniqueId("appr");
  let requestId = "";
  let requester: TPerson;
  let approver: TPerson;
  let other: TPerson;

  before(async () => {
    const { policy } = await createResourceWithPolicy({ approverGroups: [approverGroup] });
    requester = await withPasskey(["engineers"]);
    approver = await withPasskey([approverGroup], true);
    other = await withPasskey([approverGroup], true);
    ({ requestId } = await requestAccess({
      actor: requester.actor,
      input: {
        policyId: policy.id,
        permissions: ["read"],
        durationMinutes: 30,
        justification: "Read the audit tables for INC-9",
      },
    }));
  });
  const link = (approverId: string, now?: Date) =>
    signDecisionLink({ requestId, approverId, decision: "DENY", ...(now ? { now } : {}) });

  it("refuses a tampered link: another decision, another request, a changed signature", async () => {
    const token = link(approver.actor.userId);
    const [body, signature] = token.split(".") as [string, string];
    const payload = JSON.parse(Buffer.from(body, "base64url").toString()) as Record<string, unknown>;
    const flipped = `${Buffer.from(JSON.stringify({ ...payload, d: "APPROVE" })).toString("base64url")}.${signature}`;
    await assert.rejects(
      redeemDecisionLink({ actor: approver.actor, requestId, token: flipped }),
      appErrorWith("FORBIDDEN", /not valid/),
    );
    await assert.rejects(
      redeemDecisionLink({ actor: approver.actor, requestId, token: `${body}.${signature.slice(0, -2)}AA` }),
      appErrorWith("FORBIDDEN", /not valid/),
    );
    await assert.rejects(
      redeemDecisionLink({ actor: approver.actor, requestId: crypto.randomUUID(), token }),
      appErrorWith("FORBIDDEN", /another request/),
    );
    await assert.rejects(
      redeemDecisionLink({ actor: approver.actor, requestId, token, secret: "another-secret-entirely-32-chars" }),
      appErrorWith("FORBIDDEN", /not valid/),
    );
  });

  it("refuses another approver's link, and an expired one", async () => {
    await assert.rejects(
      redeemDecisionLink({ actor: other.actor, requestId, token: link(approver.actor.userId) }),
      appErrorWith("FORBIDDEN", /another approver/),
    );
    const old = new Date(Date.now() - DECISION_LINK_TTL_MS - 1_000);
    await assert.rejects(
      redeemDecisionLink({ actor: approver.actor, requestId, token: link(approver.actor.userId, old) }),
      appErrorWith("FORBIDDEN", /expired/),
    );
    const denials = await db.auditEvent.count({
      where: { action: "chat.link.redeem", targetId: requestId, outcome: "DENIED" },
    });
    assert.ok(denials >= 2);
  });

  it("is used once: the same link again is refused", async () => {
    const token = link(approver.actor.userId);
    assert.deepEqual(await redeemDecisionLink({ actor: approver.actor, requestId, token }), { decision: "DENY" });
    await assert.rejects(
      redeemDecisionLink({ actor: approver.actor, requestId, token }),
      appErrorWith("CONFLICT", /used already/),
    );
  });

  it("answers 'already decided' to a second approver's stale button", async () => {
    const stale = link(other.actor.userId);
    await decide(approver, requestId, "DENY", "Not during the freeze");
    await assert.rejects(
      redeemDecisionLink({ actor: other.actor, requestId, token: stale }),
      appErrorWith("CONFLICT", /already decided \(denied\)/),
    );
    assert.match(
      decisionLinkPath({ requestId, approverId: other.actor.userId, decision: "APPROVE" }),
      /^\/requests\/[0-9a-f-]+\?link=/,
    );
  });
});

describe("the Slack stand-in fails loudly on what Slack does not document", () => {
  it("refuses an unknown method, a missing token, a wrong content type and missing arguments", async () => {
    const violations = fake.violations.length;
    const call = (method: string, init: RequestInit) =>
      fetch(new URL(method, fake.apiUrl), { method: "POST", ...init });
    const auth = { authorization: `Bearer ${fake.token}` };
    assert.equal((await call("chat.delete", { headers: auth, body: "" })).status, 404);
    assert.deepEqual(await (await call("chat.postMessage", { body: "channel=C1&text=x" })).json(), {
      ok: false,
      error: "not_authed",
    });
    assert.deepEqual(
      await (await call("chat.postMessage", { headers: { ...auth, "content-type": "text/plain" }, body: "x" })).json(),
      { ok: false, error: "invalid_form_data" },
    );
    const form = { ...auth, "content-type": "application/x-www-form-urlencoded" };
    assert.deepEqual(await (await call("chat.postMessage", { headers: form, body: "channel=C1" })).json(), {
      ok: false,
      error: "no_text",
    });
    assert.deepEqual(await (await call("chat.update", { headers: form, body: "channel=C1&text=x" })).json(), {
      ok: false,
      error: "message_not_found",
    });
    assert.equal(fake.violations.length, violations + 5);
    fake.violations.splice(violations);
  });
});
