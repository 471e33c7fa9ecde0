import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { getConfig } from "../config";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createResourceWithPolicy, TEST_ISSUER, uniqueId } from "../testing/fixtures";
import { resolveSession, revokeSession } from "./session";
import { signInUser } from "./sign-in";

const identity = (groups: string[] = ["engineers"]) => {
  const subject = uniqueId("sub");
  return { subject, email: `${subject}@example.com`, name: `Person ${subject}`, groups };
};

after(disconnectDb);

describe("sign-in from the IdP", () => {
  it("creates the user on first sign-in keyed by issuer and subject, and refreshes claims after", async () => {
    const who = identity(["engineers"]);
    const first = await signInUser({ issuer: TEST_ISSUER, identity: who });
    const second = await signInUser({
      issuer: TEST_ISSUER,
      identity: { ...who, email: "renamed@example.com", groups: ["sre"] },
    });
    assert.equal(second.userId, first.userId);
    assert.notEqual(second.sessionId, first.sessionId);
    const user = await db.user.findUniqueOrThrow({ where: { id: first.userId } });
    assert.equal(user.email, "renamed@example.com");
    assert.deepEqual(user.groups, ["sre"]);

    // The same subject at another issuer is another person.
    const other = await signInUser({ issuer: "https://other-idp.example", identity: who });
    assert.notEqual(other.userId, first.userId);
  });

  it("writes one audit event per sign-in, in the same transaction as the session", async () => {
    const { userId, sessionId } = await signInUser({
      issuer: TEST_ISSUER,
      identity: identity(),
      context: { ip: "203.0.113.7", userAgent: "test" },
    });
    const events = await db.auditEvent.findMany({ where: { action: "auth.sign_in", actorId: userId } });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.targetId, sessionId);
    assert.equal(events[0]?.outcome, "ALLOWED");
    assert.equal(events[0]?.ip, "203.0.113.7");
  });

  it("refuses a deactivated user and records the denial", async () => {
    const who = identity();
    const { userId } = await signInUser({ issuer: TEST_ISSUER, identity: who });
    await db.user.update({ where: { id: userId }, data: { deactivatedAt: new Date() } });
    const sessionsBefore = await db.session.count({ where: { userId } });
    await assert.rejects(
      signInUser({ issuer: TEST_ISSUER, identity: who }),
      (error: unknown) => error instanceof AppError && error.code === "FORBIDDEN",
    );
    assert.equal(await db.session.count({ where: { userId } }), sessionsBefore, "no session was opened");
    const denied = await db.auditEvent.count({ where: { action: "auth.sign_in", actorId: userId, outcome: "DENIED" } });
    assert.equal(denied, 1);
  });
});

describe("every request checks the session in the database", () => {
  it("resolves a live session to the person with roles from their groups", async () => {
    const { sessionId } = await signInUser({ issuer: TEST_ISSUER, identity: identity(["portal-admins"]) });
    const result = await resolveSession({ sessionId });
    assert.ok(result.ok);
    assert.deepEqual(result.actor.roles, ["admin"]);
  });

  it("derives the approver role from policies that name the person's groups", async () => {
    const group = uniqueId("approvers");
    const { sessionId } = await signInUser({ issuer: TEST_ISSUER, identity: identity([group]) });
    const before = await resolveSession({ sessionId });
    assert.ok(before.ok && !before.actor.roles.includes("approver"));
    const resource = await db.resource.create({
      data: { key: uniqueId("res"), name: "R", environment: "staging", permissions: ["read"] },
    });
    await db.accessPolicy.create({
      data: {
        resourceId: resource.id,
        name: "p",
        permissions: ["read"],
        requesterGroups: [],
        approverGroups: [group],
        defaultDurationMinutes: 10,
        maxDurationMinutes: 20,
        autoApproveGroups: [],
        autoApprovePermissions: [],
      },
    });
    const afterPolicy = await resolveSession({ sessionId });
    assert.ok(afterPolicy.ok && afterPolicy.actor.roles.includes("approver"));
  });

  it("an escalation group makes an approver too; a person with no groups recorded has no role", async () => {
    const escalation = uniqueId("escalation");
    const { policy } = await createResourceWithPolicy({ approverGroups: [uniqueId("approvers")] });
    await db.accessPolicy.update({ where: { id: policy.id }, data: { escalationGroups: [escalation] } });
    const { sessionId } = await signInUser({ issuer: TEST_ISSUER, identity: identity([escalation]) });
    const escalated = await resolveSession({ sessionId });
    assert.ok(escalated.ok && escalated.actor.roles.includes("approver"));
    // A row written without groups (SCIM, a seed) holds NULL, which reads as no groups.
    const bare = await db.user.create({ data: { issuer: TEST_ISSUER, subject: uniqueId("sub"), name: "Bare" } });
    const session = await db.session.create({ data: { userId: bare.id, expiresAt: new Date(Date.now() + 3_600_000) } });
    const result = await resolveSession({ sessionId: session.id });
    assert.ok(result.ok);
    assert.deepEqual(result.actor.groups, []);
    assert.deepEqual(result.actor.roles, []);
  });

  it("refuses an unknown or missing session id", async () => {
    assert.deepEqual(await resolveSession({ sessionId: undefined }), { ok: false, problem: "missing" });
    assert.deepEqual(await resolveSession({ sessionId: "forged-session-id" }), { ok: false, problem: "missing" });
  });

  it("ends a session after the idle timeout, and keeps an active one alive", async () => {
    const { idleMs } = getConfig().session;
    const start = new Date();
    const { sessionId } = await signInUser({ issuer: TEST_ISSUER, identity: identity(), now: start });
    const active = await resolveSession({ sessionId, now: new Date(start.getTime() + idleMs - 1_000) });
    assert.ok(active.ok, "activity just inside the idle window keeps it");
    const touched = await db.session.findUniqueOrThrow({ where: { id: sessionId } });
    assert.ok(touched.lastSeenAt.getTime() > start.getTime(), "lastSeenAt moved forward");
    const idle = await resolveSession({ sessionId, now: new Date(touched.lastSeenAt.getTime() + idleMs) });
    assert.deepEqual(idle, { ok: false, problem: "idle" });
  });

  it("ends a session at its absolute lifetime however active it was", async () => {
    const { maxMs } = getConfig().session;
    const start = new Date();
    const { sessionId } = await signInUser({ issuer: TEST_ISSUER, identity: identity(), now: start });
    const end = new Date(start.getTime() + maxMs);
    await db.session.update({ where: { id: sessionId }, data: { lastSeenAt: new Date(end.getTime() - 1_000) } });
    assert.deepEqual(await resolveSession({ sessionId, now: end }), { ok: false, problem: "expired" });
  });

  it("an administrator's role is not honoured past PRIVILEGED_SESSION_MAX_MINUTES; the next sign-in asks the IdP again", async () => {
    const { privilegedMaxMs, idleMs, maxMs } = getConfig().session;
    assert.ok(privilegedMaxMs < maxMs, "shorter than an ordinary session");
    const start = new Date();
    for (const group of ["portal-admins", "security-reviewers"]) {
      const who = identity([group]);
      const { sessionId } = await signInUser({ issuer: TEST_ISSUER, identity: who, now: start });
      // Active all along (never idle), just inside and then at the end of the window.
      const inside = new Date(start.getTime() + privilegedMaxMs - 1_000);
      await db.session.update({
        where: { id: sessionId },
        data: { lastSeenAt: new Date(inside.getTime() - idleMs / 2) },
      });
      const before = await resolveSession({ sessionId, now: inside });
      assert.ok(before.ok && before.actor.roles.length === 1, `${group}: honoured inside the window`);
      const end = new Date(start.getTime() + privilegedMaxMs);
      await db.session.update({ where: { id: sessionId }, data: { lastSeenAt: new Date(end.getTime() - 1_000) } });
      assert.deepEqual(await resolveSession({ sessionId, now: end }), { ok: false, problem: "privileged_reauth" });

      // Meanwhile the IdP took the group away: the new sign-in carries no privileged role.
      const again = await signInUser({ issuer: TEST_ISSUER, identity: { ...who, groups: ["engineers"] }, now: end });
      const after = await resolveSession({ sessionId: again.sessionId, now: end });
      assert.ok(after.ok);
      assert.deepEqual(after.actor.roles, []);
    }
  });

  it("the shorter window applies only to privileged roles: an engineer's session goes on", async () => {
    const { privilegedMaxMs } = getConfig().session;
    const start = new Date();
    const { sessionId } = await signInUser({ issuer: TEST_ISSUER, identity: identity(["engineers"]), now: start });
    const later = new Date(start.getTime() + privilegedMaxMs + 60_000);
    await db.session.update({ where: { id: sessionId }, data: { lastSeenAt: new Date(later.getTime() - 1_000) } });
    assert.ok((await resolveSession({ sessionId, now: later })).ok);
  });

  it("refuses a signed-out session, and records the sign-out once", async () => {
    const { userId, sessionId } = await signInUser({ issuer: TEST_ISSUER, identity: identity() });
    await revokeSession({ sessionId, reason: "sign_out" });
    await revokeSession({ sessionId, reason: "sign_out" });
    assert.deepEqual(await resolveSession({ sessionId }), { ok: false, problem: "revoked" });
    assert.equal(await db.auditEvent.count({ where: { action: "auth.sign_out", actorId: userId } }), 1);
  });

  it("refuses a deactivated user's session on the next request", async () => {
    const { userId, sessionId } = await signInUser({ issuer: TEST_ISSUER, identity: identity() });
    assert.ok((await resolveSession({ sessionId })).ok);
    await db.user.update({ where: { id: userId }, data: { deactivatedAt: new Date() } });
    assert.deepEqual(await resolveSession({ sessionId }), { ok: false, problem: "deactivated" });
  });
});
