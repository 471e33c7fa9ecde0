/**
 * A person links their Slack member id from the portal by typing back a code the portal sent
 * to that id by DM (ADR 0046), against the Slack stand-in and real PostgreSQL.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { requestAccess } from "../access/request-access";
import { rolesForGroups, type TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { parseAllowList } from "../security/outbound";
import { startFakeSlack, type TFakeSlack } from "../testing/fake-slack";
import { createActor, createResourceWithPolicy, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import { confirmSlackLink } from "./confirm-slack-link";
import { getMySlackLink, unlinkSlack } from "./my-slack-link";
import { SLACK_LINK_CODE_TTL_MS, startSlackLink } from "./start-slack-link";
import { syncRequestMessages } from "./sync-request-messages";

const fake: TFakeSlack = await startFakeSlack();
const outboundPolicy = { allowed: parseAllowList("127.0.0.0/8").entries };
const slack = { botToken: fake.token, apiUrl: fake.apiUrl, outboundPolicy };

after(async () => {
  await fake.close();
  await disconnectDb();
});

let members = 0;
/** A workspace member of its own: an id the stand-in knows, under an e-mail nobody in the portal has. */
const member = (): string => {
  members += 1;
  const id = `U0LINK${String(members).padStart(4, "0")}${uniqueId("x").slice(2, 6).toUpperCase()}`;
  fake.users.set(`member-${id.toLowerCase()}@slack.example`, id);
  return id;
};
/** The code the stand-in delivered to a member id's DM, as the person would read it. */
const codeSentTo = (slackUserId: string): string => {
  const dm = [...fake.messages.values()].filter((message) => message.channel === `D${slackUserId.slice(1)}`).at(-1);
  const code = /code is (\d{6})/.exec(dm?.text ?? "")?.[1];
  assert.ok(code, `a code was sent to ${slackUserId}`);
  return code;
};
const wrong = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("linking a Slack member id from the portal", () => {
  it("links only with the code sent to that member id by DM, and audits it", async () => {
    const person = await createActor();
    const slackUserId = member();
    assert.equal((await getMySlackLink({ actor: person })).link, null);
    await startSlackLink({ actor: person, slackUserId, settings: slack });
    assert.equal((await getMySlackLink({ actor: person })).pendingFor?.slackUserId, slackUserId);
    assert.equal((await db.slackUserLink.findUnique({ where: { userId: person.userId } })) ?? null, null);

    assert.deepEqual(await confirmSlackLink({ actor: person, code: codeSentTo(slackUserId) }), { slackUserId });
    const mine = await getMySlackLink({ actor: person });
    assert.equal(mine.link?.slackUserId, slackUserId);
    assert.equal(mine.link?.source, "explicit");
    const events = await db.auditEvent.findMany({
      where: { actorId: person.userId, action: { startsWith: "chat.slack_link." } },
      orderBy: { seq: "asc" },
      select: { action: true, outcome: true, targetId: true },
    });
    assert.deepEqual(events, [
      { action: "chat.slack_link.start", outcome: "ALLOWED", targetId: slackUserId },
      { action: "chat.slack_link.confirm", outcome: "ALLOWED", targetId: slackUserId },
    ]);
    assert.deepEqual(fake.violations, []);
  });

  it("refuses a wrong code, then a code after too many wrong ones, and links nothing", async () => {
    const person = await createActor();
    const slackUserId = member();
    await startSlackLink({ actor: person, slackUserId, settings: slack });
    const code = codeSentTo(slackUserId);
    for (let guess = 0; guess < 5; guess += 1)
      await assert.rejects(confirmSlackLink({ actor: person, code: wrong(code) }), appErrorWith("FORBIDDEN", /wrong/));
    // Five wrong guesses use the code up: even the right one is refused now.
    await assert.rejects(confirmSlackLink({ actor: person, code }), appErrorWith("CONFLICT", /Too many wrong codes/));
    assert.equal(await db.slackUserLink.count({ where: { userId: person.userId } }), 0);
    const denied = await db.auditEvent.count({
      where: { actorId: person.userId, action: "chat.slack_link.confirm", outcome: "DENIED" },
    });
    assert.equal(denied, 6);
  });

  it("refuses an expired code and a code used already", async () => {
    const person = await createActor();
    const slackUserId = member();
    const sentAt = new Date();
    await startSlackLink({ actor: person, slackUserId, settings: slack, now: sentAt });
    const code = codeSentTo(slackUserId);
    await assert.rejects(
      confirmSlackLink({ actor: person, code, now: new Date(sentAt.getTime() + SLACK_LINK_CODE_TTL_MS + 1) }),
      appErrorWith("CONFLICT", /expired/),
    );
    await startSlackLink({ actor: person, slackUserId, settings: slack });
    const fresh = codeSentTo(slackUserId);
    // Asking again retired the first code.
    if (fresh !== code) await assert.rejects(confirmSlackLink({ actor: person, code }), appErrorWith("FORBIDDEN"));
    await confirmSlackLink({ actor: person, code: fresh });
    await assert.rejects(
      confirmSlackLink({ actor: person, code: fresh }),
      appErrorWith("CONFLICT", /No code is waiting/),
    );
  });

  it("cannot change another person's link: their code does not work for anyone else", async () => {
    const owner = await createActor();
    const attacker = await createActor();
    const ownersId = member();
    await startSlackLink({ actor: owner, slackUserId: ownersId, settings: slack });
    await confirmSlackLink({ actor: owner, code: codeSentTo(ownersId) });

    // The attacker asks for a code to the owner's id: it lands in the owner's DMs, not theirs.
    await startSlackLink({ actor: attacker, slackUserId: ownersId, settings: slack });
    const leakedOrGuessed = codeSentTo(ownersId);
    await assert.rejects(
      confirmSlackLink({ actor: attacker, code: leakedOrGuessed }),
      appErrorWith("CONFLICT", /linked to another person/),
    );
    // Nor can the attacker finish a code flow the owner started: codes are looked up by who types them.
    const newId = member();
    await startSlackLink({ actor: owner, slackUserId: newId, settings: slack });
    const ownersCode = codeSentTo(newId);
    if (ownersCode !== leakedOrGuessed)
      await assert.rejects(confirmSlackLink({ actor: attacker, code: ownersCode }), appErrorWith("FORBIDDEN", /wrong/));
    const stranger = await createActor();
    await assert.rejects(
      confirmSlackLink({ actor: stranger, code: ownersCode }),
      appErrorWith("CONFLICT", /No code is waiting/),
    );
    assert.equal((await getMySlackLink({ actor: owner })).link?.slackUserId, ownersId);
    assert.equal((await getMySlackLink({ actor: attacker })).link, null);
  });

  it("refuses an id that is not a member id, or one Slack does not know, before storing anything", async () => {
    const person = await createActor();
    await assert.rejects(
      startSlackLink({ actor: person, slackUserId: "C0APPROVALS", settings: slack }),
      appErrorWith("INVALID_INPUT", /not a Slack member id/),
    );
    await assert.rejects(
      startSlackLink({ actor: person, slackUserId: "U0NOBODY99", settings: slack }),
      appErrorWith("INVALID_INPUT", /channel_not_found/),
    );
    assert.equal(await db.slackLinkCode.count({ where: { userId: person.userId } }), 0);
    await assert.rejects(
      startSlackLink({ actor: person, slackUserId: member(), settings: null }),
      appErrorWith("CONFLICT", /not configured/),
    );
  });

  it("sends approval DMs to the linked id instead of the e-mail lookup's, and unlinking falls back", async () => {
    const approverGroup = uniqueId("appr");
    const { policy } = await createResourceWithPolicy({ approverGroups: [approverGroup] });
    const approver: TUserActor & { email: string } = await createActor({ groups: [approverGroup] });
    approver.roles = [...rolesForGroups([approverGroup]), "approver"];
    // Slack knows the approver's verified e-mail under one id; they link another (say, a work account).
    const byEmail = member();
    fake.users.set(approver.email.toLowerCase(), byEmail);
    const linked = member();
    await startSlackLink({ actor: approver, slackUserId: linked, settings: slack });
    await confirmSlackLink({ actor: approver, code: codeSentTo(linked) });

    const settings = {
      appUrl: "http://localhost:3000",
      slack: { ...slack, approvalChannel: null, securityChannel: null },
      teamsWebhookUrl: null,
      outboundPolicy,
    };
    const submit = async () => {
      const requester = await createActor({ groups: ["engineers"] });
      return requestAccess({
        actor: requester,
        input: {
          policyId: policy.id,
          permissions: ["read"],
          durationMinutes: 30,
          justification: "Look at INC-4300 tables",
        },
      });
    };
    const first = await submit();
    await syncRequestMessages({ requestId: first.requestId, provider: "slack", settings });
    const lookups = fake.calls.filter(
      (call) => call.method === "users.lookupByEmail" && call.args.email === approver.email,
    );
    assert.equal(lookups.length, 0, "a linked person is not looked up by e-mail");
    const dms = await db.chatMessage.findMany({
      where: { requestId: first.requestId },
      select: { target: true, channel: true },
    });
    assert.deepEqual(dms, [{ target: linked, channel: `D${linked.slice(1)}` }]);

    await unlinkSlack({ actor: approver });
    assert.equal((await getMySlackLink({ actor: approver })).link, null);
    await assert.rejects(unlinkSlack({ actor: approver }), appErrorWith("NOT_FOUND"));
    const second = await submit();
    await syncRequestMessages({ requestId: second.requestId, provider: "slack", settings });
    const after = await db.chatMessage.findMany({ where: { requestId: second.requestId }, select: { target: true } });
    assert.deepEqual(after, [{ target: byEmail }], "without the link, the e-mail lookup finds them again");
    assert.equal(
      await db.auditEvent.count({
        where: { actorId: approver.userId, action: "chat.slack_link.remove", outcome: "ALLOWED" },
      }),
      1,
    );
    assert.deepEqual(fake.violations, []);
  });
});
