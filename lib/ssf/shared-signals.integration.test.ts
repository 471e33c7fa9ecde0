/**
 * The Shared Signals receiver (RFC 8935), against a real transmitter built here with jose and
 * its JWKS served over HTTP: every forgery is refused with the RFC's error and changes nothing;
 * each CAEP/RISC event does what ADR 0040 says, in the push's own transaction.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startApiServer, type TApiServer } from "../../api/server";
import { decideRequest, requestAccess, startDecision } from "../access";
import { resolveSession } from "../auth/session";
import type { TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { redis } from "../redis";
import {
  createActor,
  createActorWithPasskey,
  createResourceWithPolicy,
  createUser,
  TEST_ISSUER,
  uniqueId,
} from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import { serviceChecker } from "../testing/service-check";
import { pushSet, startTestTransmitter, type TTestTransmitter } from "../testing/signal-transmitter";
import { CAEP, RISC } from "./events";
import { flushSignalRefusals } from "./http";
import { forgetJwks } from "./jwks";
import { createSignalTransmitter, disableSignalTransmitter } from "./manage-transmitters";
import { receiveSecurityEvent } from "./receive-security-event";

let api: TApiServer;
let transmitter: TTestTransmitter;
before(async () => {
  api = await startApiServer({
    port: 0,
    pollMs: 100,
    rateLimit: { limit: 10_000, windowMs: 60_000 },
    log: () => undefined,
  });
  transmitter = await startTestTransmitter();
});
after(async () => {
  await transmitter.close();
  await api.close();
  await disconnectDb();
  redis().disconnect();
});

const issSub = (user: { issuer: string; subject: string }) => ({
  format: "iss_sub",
  iss: user.issuer,
  sub: user.subject,
});
const sessionRevoked = { [`${CAEP}session-revoked`]: { event_timestamp: Math.floor(Date.now() / 1000) } };

/** A person with an open portal session, a CLI device with a refresh token, and a live grant. */
const personWithAccess = async () => {
  const actor = await createActor();
  const user = await db.user.findUniqueOrThrow({ where: { id: actor.userId } });
  const device = await db.personDevice.create({ data: { userId: user.id, name: "laptop" } });
  await db.deviceRefreshToken.create({
    data: { deviceId: device.id, tokenHash: randomUUID(), expiresAt: new Date(Date.now() + 3_600_000) },
  });
  const { resource, policy } = await createResourceWithPolicy();
  const grant = await db.grant.create({
    data: {
      subjectId: user.id,
      resourceId: resource.id,
      permissions: ["read"],
      startsAt: new Date(Date.now() - 1000),
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });
  return { actor, user, device, resource, policy, grant };
};

const request = (actor: TUserActor, policyId: string) =>
  requestAccess({
    actor,
    input: { policyId, permissions: ["write"], durationMinutes: 30, justification: "Fix the orders of INC-4211 now" },
  });

const signalEventsAbout = (userId: string) =>
  db.auditEvent.count({ where: { actorType: "TRANSMITTER", targetId: userId } });

describe("a forged or replayed SET is refused with the RFC 8935 error and changes nothing", () => {
  it("refuses a foreign key, another issuer, another audience, an old iat, alg none and a replay", async () => {
    const { actor, user, grant } = await personWithAccess();
    const subId = issSub(user);
    const unsigned = [
      Buffer.from(JSON.stringify({ alg: "none", typ: "secevent+jwt" })).toString("base64url"),
      Buffer.from(
        JSON.stringify({
          iss: transmitter.issuer,
          aud: transmitter.audience,
          iat: Math.floor(Date.now() / 1000),
          jti: uniqueId("jti"),
          sub_id: subId,
          events: sessionRevoked,
        }),
      ).toString("base64url"),
      "",
    ].join(".");
    const cases: Array<[string, string, string]> = [
      [
        "a key the JWKS does not publish",
        await transmitter.sign({ events: sessionRevoked, subId, key: await transmitter.foreignKey() }),
        "invalid_key",
      ],
      [
        "another issuer",
        await transmitter.sign({ events: sessionRevoked, subId, issuer: "https://evil.example" }),
        "invalid_issuer",
      ],
      [
        "another audience",
        await transmitter.sign({ events: sessionRevoked, subId, audience: "https://other.example" }),
        "invalid_audience",
      ],
      [
        "an iat 15 minutes old",
        await transmitter.sign({ events: sessionRevoked, subId, iat: Math.floor(Date.now() / 1000) - 900 }),
        "invalid_request",
      ],
      [
        "an iat in the future",
        await transmitter.sign({ events: sessionRevoked, subId, iat: Math.floor(Date.now() / 1000) + 600 }),
        "invalid_request",
      ],
      ["alg none", unsigned, "invalid_request"],
      ["not a JWT", "hello", "invalid_request"],
    ];
    for (const [what, token, err] of cases) {
      const answer = await transmitter.push(token);
      assert.equal(answer.status, 400, what);
      assert.equal(answer.body?.err, err, what);
      assert.equal(typeof answer.body?.description, "string", what);
    }
    const wrongType = await transmitter.push(
      await transmitter.sign({ events: sessionRevoked, subId }),
      "application/json",
    );
    assert.deepEqual([wrongType.status, wrongType.body?.err], [400, "invalid_request"]);

    assert.equal((await resolveSession({ sessionId: actor.sessionId })).ok, true, "the session lives on");
    assert.equal((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).revokedAt, null, "the grant lives on");
    assert.equal(await signalEventsAbout(user.id), 0, "nothing acted on the person");

    await flushSignalRefusals();
    const aggregate = await db.auditEvent.findFirstOrThrow({
      where: { action: "signals.receive.aggregate", reason: "invalid_issuer" },
      orderBy: { seq: "desc" },
    });
    assert.equal(aggregate.actorType, "ANONYMOUS", "refusals are counted, not written one by one");
  });

  it("acts on a jti once: the same SET pushed again is refused and its effect is not repeated", async () => {
    const user = await createUser();
    const token = await transmitter.sign({ events: { [`${CAEP}credential-change`]: {} }, subId: issSub(user) });
    assert.equal((await transmitter.push(token)).status, 202);
    const replay = await transmitter.push(token);
    assert.deepEqual([replay.status, replay.body?.err], [400, "invalid_request"]);
    assert.match(String(replay.body?.description), /received already/);
    assert.equal(await signalEventsAbout(user.id), 1);
  });

  it("lets exactly one of two simultaneous pushes of the same SET through", async () => {
    const user = await createUser();
    const token = await transmitter.sign({ events: { [`${CAEP}credential-change`]: {} }, subId: issSub(user) });
    const answers = await Promise.all([transmitter.push(token), transmitter.push(token)]);
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [202, 400]);
    assert.equal(await signalEventsAbout(user.id), 1);
  });

  it("refuses an unknown or disabled transmitter with authentication_failed", async () => {
    const other = await startTestTransmitter();
    const token = await other.sign({ events: sessionRevoked });
    const admin = await createActor({ groups: ["portal-admins"] });
    await disableSignalTransmitter({ actor: admin, input: { transmitterId: other.id } });
    assert.equal((await other.push(token)).body?.err, "authentication_failed");
    assert.equal((await pushSet(randomUUID(), token)).body?.err, "authentication_failed");
    assert.equal((await pushSet("not-an-id", token)).body?.err, "authentication_failed");
    const elsewhere = await transmitter.push(token);
    assert.equal(elsewhere.body?.err, "invalid_key", "another transmitter's SET does not verify at this one's path");
    await other.close();
  });
});

describe("CAEP and RISC events act on the person they name", () => {
  it("session-revoked ends the portal sessions, CLI devices and grants; the check API says no within a second", async (t) => {
    const { actor, user, device, resource, grant } = await personWithAccess();
    const ask = await serviceChecker(api.url);
    const check = async (subject: string, resource: string) => (await ask(subject, resource)).allowed;
    for (let i = 0; i < 50 && !(await check(user.id, resource.key)); i += 1)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await check(user.id, resource.key), true, "the grant holds before");

    const token = await transmitter.sign({ events: sessionRevoked, subId: issSub(user) });
    const started = performance.now();
    const answer = await transmitter.push(token);
    const refusedPage = await resolveSession({ sessionId: actor.sessionId });
    // The replica hears of the revocation through the change feed: wait for it, at most 1 s.
    let allowed = await check(user.id, resource.key);
    while (allowed && performance.now() - started < 1000) allowed = await check(user.id, resource.key);
    const elapsedMs = performance.now() - started;
    assert.equal(answer.status, 202);
    assert.equal(answer.body, null);
    assert.deepEqual(refusedPage, { ok: false, problem: "revoked" });
    assert.equal(allowed, false, "the check API answers no");
    t.diagnostic(`session-revoked: push accepted, session refused and check API no after ${elapsedMs.toFixed(1)} ms`);
    assert.ok(elapsedMs < 1000, `from push to refusal in ${elapsedMs.toFixed(0)} ms`);

    assert.notEqual((await db.personDevice.findUniqueOrThrow({ where: { id: device.id } })).revokedAt, null);
    assert.equal(await db.deviceRefreshToken.count({ where: { deviceId: device.id } }), 0, "refresh tokens gone");
    assert.notEqual((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).revokedAt, null);
    assert.equal((await db.user.findUniqueOrThrow({ where: { id: user.id } })).deactivatedAt, null, "not deactivated");
    const revocation = await db.auditEvent.findFirstOrThrow({ where: { action: "grant.revoke", targetId: grant.id } });
    assert.deepEqual([revocation.actorType, revocation.actorId], ["TRANSMITTER", transmitter.id]);
    const signal = await db.auditEvent.findFirstOrThrow({
      where: { action: "signal.session_revoked", targetId: user.id },
    });
    assert.equal(signal.actorType, "TRANSMITTER");
    assert.equal((signal.details as { sessionsRevoked: number }).sessionsRevoked, 1);
  });

  it("account-disabled deactivates the person as an administrator would: grants revoked, sign-in refused", async () => {
    const { actor, user, grant } = await personWithAccess();
    const answer = await transmitter.push(
      await transmitter.sign({ events: { [`${RISC}account-disabled`]: { reason: "hijacking" } }, subId: issSub(user) }),
    );
    assert.equal(answer.status, 202);
    assert.notEqual((await db.user.findUniqueOrThrow({ where: { id: user.id } })).deactivatedAt, null);
    assert.equal((await resolveSession({ sessionId: actor.sessionId })).ok, false);
    assert.notEqual((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).revokedAt, null);
    const deactivation = await db.auditEvent.findFirstOrThrow({
      where: { action: "user.deactivate", targetId: user.id },
    });
    assert.deepEqual([deactivation.actorType, deactivation.actorId], ["TRANSMITTER", transmitter.id]);
  });

  it("credential-change refuses the person's next request until they sign in again", async () => {
    const { actor, user, policy } = await personWithAccess();
    const event = { [`${CAEP}credential-change`]: { credential_type: "password", change_type: "update" } };
    assert.equal((await transmitter.push(await transmitter.sign({ events: event, subId: issSub(user) }))).status, 202);
    await assert.rejects(request(actor, policy.id), appErrorWith("FORBIDDEN", /sign in again/));
    assert.ok(
      await db.auditEvent.findFirst({ where: { action: "request.create", actorId: user.id, outcome: "DENIED" } }),
      "the refusal is audited",
    );
    assert.equal((await resolveSession({ sessionId: actor.sessionId })).ok, true, "browsing goes on");
    await new Promise((resolve) => setTimeout(resolve, 5));
    const fresh = await db.session.create({ data: { userId: user.id, expiresAt: new Date(Date.now() + 3_600_000) } });
    const created = await request({ ...actor, sessionId: fresh.id }, policy.id);
    assert.equal(created.status, "PENDING", "a new sign-in may ask again");
  });

  it("credential-change refuses an approver's decision from a session older than the change, writing nothing", async () => {
    const { policy } = await createResourceWithPolicy();
    const requester = await createActorWithPasskey();
    const { actor, authenticator } = await createActorWithPasskey({ groups: ["db-approvers"] });
    const pending = await request(requester.actor, policy.id);
    const opened = await resolveSession({ sessionId: actor.sessionId });
    assert.ok(opened.ok);
    const input = { requestId: pending.requestId, decision: "APPROVE" as const };
    const assertion = await authenticator.assert(await startDecision({ actor: opened.actor, ...input }));
    const approver = await db.user.findUniqueOrThrow({ where: { id: actor.userId } });
    const event = { [`${CAEP}credential-change`]: { credential_type: "fido2-platform", change_type: "create" } };
    assert.equal(
      (await transmitter.push(await transmitter.sign({ events: event, subId: issSub(approver) }))).status,
      202,
    );
    await assert.rejects(
      decideRequest({ actor: opened.actor, input: { ...input, assertion } }),
      appErrorWith("FORBIDDEN", /sign in again/),
    );
    const still = await db.accessRequest.findUniqueOrThrow({
      where: { id: pending.requestId },
      include: { approvals: true },
    });
    assert.deepEqual([still.status, still.approvals.length], ["PENDING", 0]);
  });

  it("assurance-level-change downwards holds requests like a credential change; upwards changes nothing", async () => {
    const { actor, user, policy } = await personWithAccess();
    const up = { [`${CAEP}assurance-level-change`]: { change_direction: "increase", current_level: "nist-aal2" } };
    await transmitter.push(await transmitter.sign({ events: up, subId: issSub(user) }));
    assert.equal((await request(actor, policy.id)).status, "PENDING");
    const down = { [`${CAEP}assurance-level-change`]: { change_direction: "decrease", current_level: "nist-aal1" } };
    await transmitter.push(await transmitter.sign({ events: down, subId: issSub(user) }));
    const { policy: other } = await createResourceWithPolicy();
    await assert.rejects(request(actor, other.id), appErrorWith("FORBIDDEN", /sign in again/));
  });

  it("device not compliant suspends grants, requests and new requests; a compliant event lifts the hold", async () => {
    const { actor, user, policy, grant } = await personWithAccess();
    const pending = await request(actor, policy.id);
    const change = (status: string) => ({
      [`${CAEP}device-compliance-change`]: { current_status: status, previous_status: "compliant" },
    });
    const subId = issSub(user);
    assert.equal(
      (await transmitter.push(await transmitter.sign({ events: change("not-compliant"), subId }))).status,
      202,
    );
    assert.notEqual((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).revokedAt, null);
    assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: pending.requestId } })).status, "CANCELLED");
    assert.equal((await resolveSession({ sessionId: actor.sessionId })).ok, true, "the session stays");
    await assert.rejects(request(actor, policy.id), appErrorWith("FORBIDDEN", /not compliant/));

    assert.equal((await transmitter.push(await transmitter.sign({ events: change("compliant"), subId }))).status, 202);
    assert.equal((await request(actor, policy.id)).status, "PENDING", "requests are possible again");
    assert.notEqual(
      (await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).revokedAt,
      null,
      "nothing comes back",
    );
  });

  it("device not compliant under the audit setting only records the event", async () => {
    const auditing = await startTestTransmitter({ onDeviceNonCompliant: "audit" });
    const { actor, user, policy, grant } = await personWithAccess();
    const event = { [`${CAEP}device-compliance-change`]: { current_status: "not-compliant" } };
    assert.equal((await auditing.push(await auditing.sign({ events: event, subId: issSub(user) }))).status, 202);
    assert.equal((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).revokedAt, null);
    assert.equal((await request(actor, policy.id)).status, "PENDING");
    const signal = await db.auditEvent.findFirstOrThrow({
      where: { action: "signal.device_compliance_change", targetId: user.id },
    });
    assert.equal((signal.details as { effect: string }).effect, "audited_only");
    await auditing.close();
  });

  it("acknowledges an unknown event type and an unknown person with 202, audited, acting on no one", async () => {
    const { user, grant } = await personWithAccess();
    const unknownEvent = await transmitter.push(
      await transmitter.sign({ events: { "https://example.com/event-type/tea-time": {} }, subId: issSub(user) }),
    );
    assert.equal(unknownEvent.status, 202);
    const stranger = await transmitter.push(
      await transmitter.sign({ events: sessionRevoked, subId: { format: "iss_sub", iss: TEST_ISSUER, sub: "nobody" } }),
    );
    assert.equal(stranger.status, 202);
    const acknowledged = await db.auditEvent.findMany({
      where: {
        actorType: "TRANSMITTER",
        actorId: transmitter.id,
        details: { path: ["effect"], equals: "acknowledged" },
      },
      orderBy: { seq: "desc" },
      take: 2,
    });
    assert.deepEqual(acknowledged.map((event) => event.reason).sort(), ["event type not handled", "no such person"]);
    assert.equal((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).revokedAt, null);
  });

  it("names people only of its own IdP: by iss_sub, verified e-mail or SCIM externalId, never another issuer's", async () => {
    const byEmail = await personWithAccess();
    await transmitter.push(
      await transmitter.sign({
        events: sessionRevoked,
        subId: { format: "email", email: byEmail.user.email?.toUpperCase() },
      }),
    );
    assert.equal((await resolveSession({ sessionId: byEmail.actor.sessionId })).ok, false, "e-mail matched");

    const byExternalId = await personWithAccess();
    await db.user.update({ where: { id: byExternalId.user.id }, data: { scimExternalId: uniqueId("ext") } });
    const { scimExternalId } = await db.user.findUniqueOrThrow({ where: { id: byExternalId.user.id } });
    await transmitter.push(
      await transmitter.sign({
        events: {
          [`${CAEP}session-revoked`]: {
            subject: { format: "complex", user: { format: "opaque", id: scimExternalId } },
          },
        },
      }),
    );
    assert.equal((await resolveSession({ sessionId: byExternalId.actor.sessionId })).ok, false, "externalId matched");

    const elsewhere = await db.user.create({
      data: { issuer: "https://other-idp.example", subject: uniqueId("sub"), email: byEmail.user.email, name: "Other" },
    });
    const session = await db.session.create({
      data: { userId: elsewhere.id, expiresAt: new Date(Date.now() + 3_600_000) },
    });
    await transmitter.push(await transmitter.sign({ events: sessionRevoked, subId: issSub(elsewhere) }));
    assert.equal((await resolveSession({ sessionId: session.id })).ok, true, "another IdP's person is out of reach");
  });
});

describe("the JWKS URL goes through the outbound guard", () => {
  it("refuses a JWKS on an internal address that the allow-list does not name, at creation and at receipt", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    await assert.rejects(
      createSignalTransmitter({
        actor: admin,
        input: {
          name: "Internal",
          issuer: uniqueId("https://iss"),
          jwksUrl: "http://169.254.169.254/keys",
          audience: "x",
        },
        outboundPolicy: { allowed: [] },
      }),
      appErrorWith("INVALID_INPUT"),
    );
    const { actor, user } = await personWithAccess();
    forgetJwks(transmitter.id);
    const fetchesBefore = transmitter.jwksFetches();
    await assert.rejects(
      receiveSecurityEvent({
        transmitterId: transmitter.id,
        token: await transmitter.sign({ events: sessionRevoked, subId: issSub(user) }),
        context: { ip: null, userAgent: null, requestId: null },
        outboundPolicy: { allowed: [] },
      }),
      (error: unknown) =>
        (error as { err?: string }).err === "invalid_key" && /OUTBOUND_ALLOWED_HOSTS/.test(String(error)),
    );
    assert.equal(transmitter.jwksFetches(), fetchesBefore, "the JWKS server was never contacted");
    assert.equal((await resolveSession({ sessionId: actor.sessionId })).ok, true);
  });
});
