import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ZodError } from "zod";
import { resolveSession } from "../auth/session";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, createUser } from "../testing/fixtures";
import { zodIssueAt } from "../testing/matchers";
import { listUsers } from "./list-users";
import { setUserActive } from "./set-user-active";

after(disconnectDb);

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

describe("deactivating and reactivating users", () => {
  it("lets an administrator deactivate a user: their sessions end at once, with one audit event", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const target = await createActor({ groups: ["engineers"] });
    assert.ok((await resolveSession({ sessionId: target.sessionId })).ok);

    await setUserActive({ actor: admin, input: { userId: target.userId, active: false } });

    const user = await db.user.findUniqueOrThrow({ where: { id: target.userId } });
    assert.ok(user.deactivatedAt);
    assert.equal(user.deactivatedById, admin.userId);
    assert.equal(await db.session.count({ where: { userId: target.userId, revokedAt: null } }), 0);
    assert.equal((await resolveSession({ sessionId: target.sessionId })).ok, false);
    const events = await db.auditEvent.findMany({ where: { action: "user.deactivate", targetId: target.userId } });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.actorId, admin.userId);

    await setUserActive({ actor: admin, input: { userId: target.userId, active: true } });
    assert.equal((await db.user.findUniqueOrThrow({ where: { id: target.userId } })).deactivatedAt, null);
    assert.equal(await db.auditEvent.count({ where: { action: "user.reactivate", targetId: target.userId } }), 1);
  });

  it("refuses a non-administrator, changes nothing, and records the denial", async () => {
    const engineer = await createActor({ groups: ["engineers"] });
    const target = await createUser();
    await assert.rejects(
      setUserActive({ actor: engineer, input: { userId: target.id, active: false } }),
      isCode("FORBIDDEN"),
    );
    assert.equal((await db.user.findUniqueOrThrow({ where: { id: target.id } })).deactivatedAt, null);
    assert.equal(
      await db.auditEvent.count({ where: { action: "authz.denied", actorId: engineer.userId, targetId: target.id } }),
      1,
    );
    await assert.rejects(listUsers({ actor: engineer }), isCode("FORBIDDEN"));
  });

  it("refuses an administrator deactivating themselves", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    await assert.rejects(
      setUserActive({ actor: admin, input: { userId: admin.userId, active: false } }),
      isCode("FORBIDDEN"),
    );
    assert.ok((await resolveSession({ sessionId: admin.sessionId })).ok);
  });

  it("answers 404 for an unknown user and rejects malformed input", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    await assert.rejects(
      setUserActive({ actor: admin, input: { userId: "no-such-user", active: false } }),
      isCode("NOT_FOUND"),
    );
    await assert.rejects(setUserActive({ actor: admin, input: { userId: "", active: false } }), zodIssueAt("userId"));
    await assert.rejects(
      setUserActive({ actor: admin, input: { userId: "x", active: false, extra: 1 } as never }),
      (error: unknown) => error instanceof ZodError && error.issues.some((issue) => issue.code === "unrecognized_keys"),
    );
  });
});
