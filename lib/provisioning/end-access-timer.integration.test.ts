/**
 * The end-of-access timer (ADR 0060) against the portal's database and a real PostgreSQL target,
 * with no worker queue running: whatever ends a session here is the timer alone.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type pg from "pg";
import { requestAccess, revokeGrant } from "../access";
import type { TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { createActor, createResourceWithPolicy, uniqueId } from "../testing/fixtures";
import { createPostgresTarget, type TPostgresTarget } from "../testing/postgres-target";
import { closePostgresTargets } from "./connectors/postgres";
import { attachConnector, revealGrantCredential, runProvisioning, startEndAccessTimer } from "./index";

after(async () => {
  await closePostgresTargets();
  await disconnectDb();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when the session's connection ends; rejects after `ms`. */
const endOf = (client: pg.Client, ms: number) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session still open after ${ms} ms`)), ms);
    client.once("end", () => {
      clearTimeout(timer);
      resolve();
    });
  });

describe("the end-of-access timer", () => {
  let target: TPostgresTarget;
  let admin: TUserActor;
  let policyId = "";
  let connectorId = "";
  const engineers = uniqueId("eng");

  /** A live, provisioned grant ending `endsInMs` from now, with its grantee's session open. */
  const liveGrant = async (endsInMs: number) => {
    const subject = await createActor({ groups: [engineers] });
    const { requestId } = await requestAccess({
      actor: subject,
      input: { policyId, permissions: ["read"], durationMinutes: 30, justification: "investigate INC-4211 now" },
    });
    const { id: grantId } = await db.grant.findUniqueOrThrow({ where: { requestId } });
    assert.equal(
      (await runProvisioning({ grantId, connectorId, action: "provision", trigger: "test" })).outcome,
      "provisioned",
    );
    const credential = await revealGrantCredential({ actor: subject, input: { grantId, connectorId } });
    const field = (label: string) => credential.fields.find((entry) => entry.label === label)?.value ?? "";
    const session = await target.login(field("Username"), field("Password"));
    session.on("error", () => undefined);
    await session.query("select count(*) from items");
    await db.grant.update({ where: { id: grantId }, data: { expiresAt: new Date(Date.now() + endsInMs) } });
    return { subject, grantId, role: field("Username"), session };
  };
  const canLogIn = async (role: string) =>
    Boolean((await target.superuser("select 1 from pg_roles where rolname = $1 and rolcanlogin", [role])).rowCount);
  const roleExists = async (role: string) =>
    Boolean((await target.superuser("select 1 from pg_roles where rolname = $1", [role])).rowCount);

  before(async () => {
    target = await createPostgresTarget();
    admin = await createActor({ groups: ["portal-admins"] });
    const resourceKey = uniqueId("prod-postgres");
    const { policy } = await createResourceWithPolicy({
      key: resourceKey,
      permissions: ["read"],
      requesterGroups: [engineers],
      approverGroups: ["nobody"],
      autoApproveGroups: [engineers],
    });
    policyId = policy.id;
    connectorId = (
      await attachConnector({
        actor: admin,
        input: {
          resourceKey,
          kind: "postgres",
          name: "primary",
          settings: { adminUrl: target.adminUrl, loginRolePattern: target.loginRolePattern },
          mapping: { read: [target.readRole] },
          credential: target.adminPassword,
        },
      })
    ).id;
  });
  after(async () => {
    await closePostgresTargets();
    await target?.drop();
  });

  it("kills the open session and disables the login at the grant's end, leaving the clean-up to the deprovision", async () => {
    const { grantId, role, session } = await liveGrant(1_500);
    const timer = startEndAccessTimer({ refreshMs: 200, horizonMs: 5_000 });
    try {
      await endOf(session, 15_000);
    } finally {
      await timer.stop();
    }
    assert.equal(await canLogIn(role), false, "NOLOGIN");
    assert.equal(await roleExists(role), true, "the role is the deprovision's to drop");
    const state = await db.grantProvisioning.findUniqueOrThrow({
      where: { grantId_connectorId: { grantId, connectorId } },
    });
    assert.equal(state.deprovisionedAt, null, "the timer records no deprovision");
    const events = await db.provisioningEvent.findMany({ where: { grantId, kind: "access-ended" } });
    assert.equal(events.length, 1);
    assert.match(events[0]?.message ?? "", /after end: logins disabled, sessions terminated: 1$/);
    // The deprovision that follows still finds the role and drops it.
    const closed = await runProvisioning({ grantId, connectorId, action: "deprovision", trigger: "test" });
    assert.equal(closed.outcome === "deprovisioned" && closed.removed, true);
    assert.equal(await roleExists(role), false);
  });

  it("leaves a grant alone whose end moved after the timer read it (an extension)", async () => {
    const { grantId, role, session } = await liveGrant(1_500);
    // One read only (the refresh comes after a minute): the end the timer holds is the old one.
    const timer = startEndAccessTimer({ refreshMs: 60_000, horizonMs: 5_000 });
    try {
      await sleep(300);
      await db.grant.update({ where: { id: grantId }, data: { expiresAt: new Date(Date.now() + 30 * 60_000) } });
      await sleep(2_500);
      await session.query("select count(*) from items");
      assert.equal(await canLogIn(role), true);
    } finally {
      await timer.stop();
      await session.end();
    }
    assert.equal(await db.provisioningEvent.count({ where: { grantId, kind: "access-ended" } }), 0);
  });

  it("ends a revoked grant at once, woken by the revocation's notice rather than by its next read", async () => {
    const { subject, grantId, role, session } = await liveGrant(30 * 60_000);
    const timer = startEndAccessTimer({ refreshMs: 60_000, horizonMs: 5_000 });
    try {
      await sleep(500);
      await revokeGrant({ actor: subject, input: { grantId } });
      // Without the notice, nothing would read the grant again for a minute.
      await endOf(session, 20_000);
    } finally {
      await timer.stop();
    }
    assert.equal(await canLogIn(role), false);
    assert.match(
      (await db.provisioningEvent.findFirstOrThrow({ where: { grantId, kind: "access-ended" } })).message,
      /after revocation/,
    );
  });
});
