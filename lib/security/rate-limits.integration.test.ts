/**
 * The rate limits on the human flows, through the domain functions, against real PostgreSQL
 * and Redis, with low limits set for this file: the N+1th attempt is refused per person and per
 * IP, the window frees again, a refusal writes nothing but one audit event per lockout, and a
 * locked, a deactivated and an unknown account cannot be told apart at sign-in.
 */
process.env.REQUEST_RATE_LIMIT_USER = "2";
process.env.REQUEST_RATE_LIMIT_IP = "3";
process.env.REQUEST_RATE_LIMIT_WINDOW_SECONDS = "60";
process.env.STEP_UP_RATE_LIMIT_USER = "2";
process.env.STEP_UP_RATE_LIMIT_IP = "3";
process.env.STEP_UP_RATE_LIMIT_WINDOW_SECONDS = "60";
process.env.SIGN_IN_RATE_LIMIT_ACCOUNT = "2";
process.env.SIGN_IN_RATE_LIMIT_IP = "3";
process.env.SIGN_IN_RATE_LIMIT_WINDOW_SECONDS = "60";

import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, describe, it } from "node:test";
import { decideRequest, requestAccess, startBreakGlass, startDecision, takeBreakGlass } from "../access";
import { admitSignIn, limitSignInRequest } from "../auth/sign-in-limits";
import { rolesForGroups } from "../authz";
import { getConfig } from "../config";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { waitInWords } from "./rate-limits";
import {
  createActor,
  createActorWithPasskey,
  createResourceWithPolicy,
  createUser,
  TEST_ISSUER,
  uniqueId,
} from "../testing/fixtures";
import { admitStepUp, startStepUp } from "../webauthn";

after(disconnectDb);

/** An address of the benchmarking range no other test uses. */
const someIp = () => `198.18.${randomInt(256)}.${randomInt(1, 255)}`;

const rateLimited = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof AppError, String(error));
  assert.equal(error.code, "RATE_LIMITED");
  assert.equal(error.status, 429);
  assert.match(error.message, pattern);
  assert.ok(
    error.retryAfterSeconds !== undefined && error.retryAfterSeconds >= 1 && error.retryAfterSeconds <= 60,
    `retry after ${error.retryAfterSeconds}`,
  );
  return true;
};

const auditOf = (actorId: string) =>
  db.auditEvent.findMany({
    where: { actorId },
    orderBy: { seq: "asc" },
    select: { action: true, outcome: true, details: true, ip: true },
  });

const requestInput = (policyId: string, permission: string) => ({
  policyId,
  permissions: [permission],
  durationMinutes: 30,
  justification: "Routine maintenance of the service",
});

describe("rate limits on request creation", () => {
  it("refuses a person's N+1th request with the wait, writes nothing but one audit event per lockout, and frees up after the window", async () => {
    const actor = await createActor();
    const first = await createResourceWithPolicy();
    const second = await createResourceWithPolicy();
    await requestAccess({ actor, input: requestInput(first.policy.id, "read") });
    await requestAccess({ actor, input: requestInput(first.policy.id, "write") });
    const before = await auditOf(actor.userId);

    await assert.rejects(
      requestAccess({ actor, input: requestInput(second.policy.id, "read") }),
      rateLimited(/^Too many access requests\. Try again in (1 minute|\d+ seconds)\.$/),
    );
    await assert.rejects(
      requestAccess({ actor, input: requestInput(second.policy.id, "read") }),
      rateLimited(/^Too many access requests\./),
    );

    assert.equal(await db.accessRequest.count({ where: { requesterId: actor.userId } }), 2);
    const added = (await auditOf(actor.userId)).slice(before.length);
    assert.equal(added.length, 1, JSON.stringify(added));
    assert.equal(added[0]?.action, "ratelimit.refused");
    assert.equal(added[0]?.outcome, "DENIED");
    assert.deepEqual((added[0]?.details as { flow: string; scopes: string[] }).scopes, ["user"]);
    assert.equal((added[0]?.details as { flow: string }).flow, "request.create");

    // A window after the first request, one slot is free again.
    const later = new Date(Date.now() + 61_000);
    const result = await requestAccess({ actor, input: requestInput(second.policy.id, "read"), now: later });
    assert.equal(result.status, "PENDING");
  });

  it("counts two people from one address together, and each of them elsewhere on their own", async () => {
    const office = someIp();
    const alice = await createActor();
    const bob = await createActor();
    const { policy } = await createResourceWithPolicy();
    const other = await createResourceWithPolicy();
    await requestAccess({ actor: alice, input: requestInput(policy.id, "read"), context: { ip: office } });
    await requestAccess({ actor: alice, input: requestInput(policy.id, "write"), context: { ip: office } });
    await requestAccess({ actor: bob, input: requestInput(policy.id, "read"), context: { ip: office } });
    // The office's fourth request: Bob has made one of his two, but the address has made three.
    await assert.rejects(
      requestAccess({ actor: bob, input: requestInput(policy.id, "write"), context: { ip: office } }),
      rateLimited(/^Too many access requests from your network address\. Try again in (1 minute|\d+ seconds)\.$/),
    );
    const refusal = (await auditOf(bob.userId)).find((event) => event.action === "ratelimit.refused");
    assert.equal(refusal?.ip, office);
    assert.deepEqual((refusal?.details as { scopes: string[] }).scopes, ["ip"]);
    // From home, Bob has his second request.
    await requestAccess({ actor: bob, input: requestInput(other.policy.id, "read"), context: { ip: someIp() } });
  });

  it("limits break-glass too, before the policy is even read", async () => {
    const { actor, authenticator } = await createActorWithPasskey();
    const { policy } = await createResourceWithPolicy();
    const assertion = await authenticator.assert(
      await startBreakGlass({ actor, input: { policyId: policy.id, permissions: ["write"] } }),
    );
    const take = () =>
      takeBreakGlass({
        actor,
        input: {
          policyId: policy.id,
          permissions: ["write"],
          durationMinutes: 15,
          justification: "Production is down, INC-1: restoring service",
          assertion,
        },
      });
    await take();
    // The second is counted and refused on its merits (a live grant); the third never gets that far.
    await assert.rejects(take(), (error: unknown) => error instanceof AppError && error.code === "CONFLICT");
    const requests = await db.accessRequest.count({ where: { requesterId: actor.userId } });
    await assert.rejects(take(), rateLimited(/^Too many break-glass attempts\./));
    assert.equal(await db.accessRequest.count({ where: { requesterId: actor.userId } }), requests);
  });
});

describe("rate limits on passkey step-up", () => {
  it("refuses the N+1th prompt without issuing a challenge", async () => {
    const { actor } = await createActorWithPasskey();
    const target = (id: string) => ({ purpose: "APPROVE" as const, targetType: "request", targetId: id });
    await startStepUp({ actor, ...target(uniqueId("req")) });
    await startStepUp({ actor, ...target(uniqueId("req")) });
    const challenges = await db.webAuthnChallenge.count({ where: { userId: actor.userId } });
    await assert.rejects(
      startStepUp({ actor, ...target(uniqueId("req")) }),
      rateLimited(/^Too many passkey prompts\. Try again in (1 minute|\d+ seconds)\.$/),
    );
    assert.equal(await db.webAuthnChallenge.count({ where: { userId: actor.userId } }), challenges);
  });

  it("refuses a confirmation past the limit before the decision: no approval, the challenge unspent, the request still pending", async () => {
    const approverGroup = uniqueId("appr");
    const requester = await createActor();
    const { policy } = await createResourceWithPolicy({ approverGroups: [approverGroup] });
    const { requestId } = await requestAccess({ actor: requester, input: requestInput(policy.id, "read") });
    const approver = await createActorWithPasskey({ groups: [approverGroup] });
    approver.actor.roles = [...rolesForGroups([approverGroup]), "approver"];

    const options = await startDecision({ actor: approver.actor, requestId, decision: "APPROVE" });
    const assertion = await approver.authenticator.assert(options);
    // Two confirmations already counted (say, two other decisions) from this person.
    await admitStepUp({ actor: approver.actor });
    await admitStepUp({ actor: approver.actor });
    const before = await auditOf(approver.actor.userId);
    await assert.rejects(
      decideRequest({ actor: approver.actor, input: { requestId, decision: "APPROVE", assertion } }),
      rateLimited(/^Too many passkey confirmations\./),
    );

    assert.equal(await db.approval.count({ where: { requestId } }), 0);
    assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).status, "PENDING");
    const challenge = await db.webAuthnChallenge.findFirstOrThrow({
      where: { userId: approver.actor.userId, targetId: requestId },
    });
    assert.equal(challenge.usedAt, null);
    assert.deepEqual(
      (await auditOf(approver.actor.userId)).slice(before.length).map((event) => event.action),
      ["ratelimit.refused"],
    );
  });

  it("counts one address's prompts together across people", async () => {
    const ip = someIp();
    const people = await Promise.all([createActorWithPasskey(), createActorWithPasskey()]);
    const target = () => ({ purpose: "APPROVE" as const, targetType: "request", targetId: uniqueId("req") });
    await startStepUp({ actor: people[0].actor, ...target(), context: { ip } });
    await startStepUp({ actor: people[0].actor, ...target(), context: { ip } });
    await startStepUp({ actor: people[1].actor, ...target(), context: { ip } });
    await assert.rejects(
      startStepUp({ actor: people[1].actor, ...target(), context: { ip } }),
      rateLimited(/from your network address/),
    );
    await startStepUp({ actor: people[1].actor, ...target(), context: { ip: someIp() } });
  });
});

describe("rate limits on signing in", () => {
  it("answers an unknown, a deactivated and a locked-out account alike, and audits which it was", async () => {
    const context = { ip: someIp() };
    // Unknown: no user yet for this subject (the first sign-in would create it).
    const unknownSubject = uniqueId("new-sub");
    assert.equal(await admitSignIn({ issuer: TEST_ISSUER, subject: unknownSubject, context }), true);
    assert.equal(await admitSignIn({ issuer: TEST_ISSUER, subject: unknownSubject, context }), true);
    const unknownLocked = await admitSignIn({ issuer: TEST_ISSUER, subject: unknownSubject, context });

    const deactivated = await createUser();
    await db.user.update({ where: { id: deactivated.id }, data: { deactivatedAt: new Date() } });
    const deactivatedAnswer = await admitSignIn({ issuer: TEST_ISSUER, subject: deactivated.subject, context });

    const active = await createUser();
    assert.equal(await admitSignIn({ issuer: TEST_ISSUER, subject: active.subject, context }), true);
    assert.equal(await admitSignIn({ issuer: TEST_ISSUER, subject: active.subject, context }), true);
    const lockedAnswer = await admitSignIn({ issuer: TEST_ISSUER, subject: active.subject, context });

    // next-auth turns each `false` into the same redirect: /signin?error=AccessDenied.
    assert.deepEqual([unknownLocked, deactivatedAnswer, lockedAnswer], [false, false, false]);

    const lockout = await db.auditEvent.findFirstOrThrow({
      where: { action: "ratelimit.refused", actorId: active.id },
    });
    assert.deepEqual(lockout.details, {
      flow: "sign_in.account",
      scopes: ["account"],
      retryAfterSeconds: (lockout.details as { retryAfterSeconds: number }).retryAfterSeconds,
      degraded: false,
      issuer: TEST_ISSUER,
      subject: active.subject,
    });
    const anonymous = await db.auditEvent.findMany({
      where: { action: "ratelimit.refused", actorType: "ANONYMOUS", ip: context.ip },
    });
    assert.equal(anonymous.length, 1);
    assert.equal((anonymous[0]?.details as { subject: string }).subject, unknownSubject);
    assert.equal(
      await db.auditEvent.count({ where: { action: "auth.sign_in", actorId: deactivated.id, outcome: "DENIED" } }),
      1,
    );

    // Locked out, further attempts are answered without another event each.
    assert.equal(await admitSignIn({ issuer: TEST_ISSUER, subject: active.subject, context }), false);
    assert.equal(await db.auditEvent.count({ where: { action: "ratelimit.refused", actorId: active.id } }), 1);
    // And a window later the account signs in again.
    assert.equal(
      await admitSignIn({ issuer: TEST_ISSUER, subject: active.subject, context, now: new Date(Date.now() + 61_000) }),
      true,
    );
  });

  it("limits sign-in starts and IdP callbacks per client IP, with Retry-After and the page that says why", async () => {
    const ip = someIp();
    for (let i = 0; i < 3; i += 1)
      assert.equal(await limitSignInRequest({ method: "POST", action: "signin", context: { ip } }), null);
    const refused = await limitSignInRequest({ method: "POST", action: "signin", context: { ip } });
    assert.equal(refused?.status, 429);
    const wait = Number(refused?.headers.get("retry-after"));
    assert.ok(wait >= 1 && wait <= 60);
    assert.deepEqual(await refused?.json(), {
      error: "RATE_LIMITED",
      message: `Too many sign-in attempts from your network address. Try again in ${waitInWords(wait)}.`,
      url: `/signin?error=RateLimited&wait=${wait}`,
    });
    // Another address is not affected; reading the session or the CSRF token is never limited.
    assert.equal(await limitSignInRequest({ method: "POST", action: "signin", context: { ip: someIp() } }), null);
    for (let i = 0; i < 5; i += 1)
      assert.equal(await limitSignInRequest({ method: "GET", action: "session", context: { ip } }), null);

    for (let i = 0; i < 3; i += 1)
      assert.equal(await limitSignInRequest({ method: "GET", action: "callback", context: { ip } }), null);
    const callback = await limitSignInRequest({ method: "GET", action: "callback", context: { ip } });
    assert.equal(callback?.status, 303);
    assert.match(
      callback?.headers.get("location") ?? "",
      new RegExp(`^${getConfig().appUrl}/signin\\?error=RateLimited&wait=\\d+$`),
    );
    // One audit event for the lockout of starts, one for the lockout of callbacks.
    const events = await db.auditEvent.findMany({ where: { action: "ratelimit.refused", ip } });
    assert.deepEqual(events.map((event) => event.targetId).sort(), ["sign_in.callback", "sign_in.start"]);
  });
});
