import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requestAccess, revokeGrant } from "../access";
import { requestExtension } from "../access/extend-grant";
import type { TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, createResourceWithPolicy, uniqueId } from "../testing/fixtures";
import { countLoginRoles, createPostgresTarget, type TPostgresTarget } from "../testing/postgres-target";
import { closePostgresTargets, postgresConnector } from "./connectors/postgres";
import { loadConnector, CONNECTOR_ROW_SELECT } from "./internal";
import {
  attachConnector,
  detectDrift,
  getGrantProvisioning,
  listConnectors,
  listDriftFindings,
  revealGrantCredential,
  runProvisioning,
  sweepEndedGrants,
  testConnector,
} from "./index";

after(async () => {
  await closePostgresTargets();
  await disconnectDb();
});

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;
const ADMIN_PASSWORD_MARK = "admin-pw-never-shown";

describe("provisioning a PostgreSQL target through the grant lifecycle", () => {
  let target: TPostgresTarget;
  let admin: TUserActor;
  let security: TUserActor;
  let policyId = "";
  let resourceKey = "";
  let connectorId = "";
  const engineers = uniqueId("eng");

  const newGrant = async (permissions = ["read"]) => {
    const subject = await createActor({ groups: [engineers] });
    const { requestId } = await requestAccess({
      actor: subject,
      input: { policyId, permissions, durationMinutes: 30, justification: "investigate INC-4211 now" },
    });
    const grant = await db.grant.findUniqueOrThrow({ where: { requestId } });
    return { subject, grant };
  };
  const provision = (grantId: string) =>
    runProvisioning({ grantId, connectorId, action: "provision", trigger: "test" });
  const reveal = async (subject: TUserActor, grantId: string) => {
    const credential = await revealGrantCredential({ actor: subject, input: { grantId, connectorId } });
    const value = (label: string) => credential.fields.find((field) => field.label === label)?.value ?? "";
    return { credential, user: value("Username"), password: value("Password") };
  };
  const roleExists = async (role: string) =>
    ((await target.superuser("select 1 from pg_roles where rolname = $1", [role])).rowCount ?? 0) > 0;

  before(async () => {
    target = await createPostgresTarget();
    admin = await createActor({ groups: ["portal-admins"] });
    security = await createActor({ groups: ["security-reviewers"] });
    resourceKey = uniqueId("prod-postgres");
    const { policy } = await createResourceWithPolicy({
      key: resourceKey,
      permissions: ["read", "write"],
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
          mapping: { read: [target.readRole], write: [target.writeRole] },
          credential: `${target.adminPassword}`,
        },
      })
    ).id;
  });
  after(async () => {
    await closePostgresTargets();
    await target?.drop();
  });

  it("queues a provision at the start and a deprovision at the end in the grant's own transaction", async () => {
    const { grant } = await newGrant();
    const jobs = await db.outboxJob.findMany({ where: { name: "provisioning.run", jobId: { contains: grant.id } } });
    const byAction = (action: string) =>
      jobs.filter((job) => (job.payload as { action: string }).action === action).map((job) => job.runAt?.getTime());
    assert.deepEqual(byAction("provision"), [grant.startsAt.getTime()]);
    assert.deepEqual(byAction("deprovision"), [grant.expiresAt.getTime()]);
  });

  it("provisions at activation and shows the credential once, to the grantee only, then keeps no copy", async () => {
    const { subject, grant } = await newGrant();
    const other = await createActor({ groups: [engineers] });
    const result = await provision(grant.id);
    assert.equal(result.outcome, "provisioned");
    assert.equal(result.outcome === "provisioned" && result.credentialIssued, true);

    const ownView = await getGrantProvisioning({ actor: subject, grantId: grant.id });
    assert.equal(ownView.steps[0]?.credentialWaiting, true);
    assert.match(
      ownView.timeline.map((entry) => entry.message).join("\n"),
      /PostgreSQL role \S+ created \d+ ms after start/,
    );
    assert.equal((await getGrantProvisioning({ actor: admin, grantId: grant.id })).steps[0]?.credentialWaiting, false);
    await assert.rejects(getGrantProvisioning({ actor: other, grantId: grant.id }), isCode("NOT_FOUND"));
    // Nobody but the grantee sees it: not another engineer, not an administrator.
    await assert.rejects(
      revealGrantCredential({ actor: other, input: { grantId: grant.id, connectorId } }),
      isCode("NOT_FOUND"),
    );
    await assert.rejects(
      revealGrantCredential({ actor: admin, input: { grantId: grant.id, connectorId } }),
      isCode("NOT_FOUND"),
    );

    const { user, password } = await reveal(subject, grant.id);
    const session = await target.login(user, password);
    assert.equal((await session.query("select count(*)::int as n from items")).rows[0].n, 2);
    await assert.rejects(session.query("insert into items (name) values ('x')"), /permission denied for table items/);
    await session.end();

    await assert.rejects(reveal(subject, grant.id), isCode("CONFLICT"));
    const stored = await db.grantProvisioning.findFirstOrThrow({ where: { grantId: grant.id } });
    assert.equal(stored.credentialSealed, null);
    const audit = await db.auditEvent.findMany({ where: { targetId: grant.id } });
    assert.ok(audit.some((event) => event.action === "grant.credential_viewed"));
    const said = JSON.stringify(audit.map((event) => [event.details, event.reason]));
    assert.ok(!said.includes(password), "the password is in no audit event");
  });

  it("revoking ends the grantee's open session and refuses new logins (sessions terminated: 1)", async () => {
    const { subject, grant } = await newGrant();
    await provision(grant.id);
    const { user, password } = await reveal(subject, grant.id);
    const session = await target.login(user, password);
    await session.query("select 1");
    await revokeGrant({ actor: subject, input: { grantId: grant.id } });
    const queued = await db.outboxJob.findFirst({
      where: { jobId: { contains: `${grant.id}_${connectorId}_deprovision_revoked` } },
    });
    assert.ok(queued, "the revocation queued the deprovision in its transaction");
    const result = await runProvisioning({ grantId: grant.id, connectorId, action: "deprovision", trigger: "test" });
    assert.equal(result.outcome === "deprovisioned" && result.sessionsTerminated, 1);
    await assert.rejects(session.query("select count(*) from items"), /terminat|not queryable/i);
    await session.end().catch(() => undefined);
    await assert.rejects(target.login(user, password), /does not exist|password authentication failed/);
    const view = await getGrantProvisioning({ actor: subject, grantId: grant.id });
    assert.match(
      view.timeline.map((entry) => entry.message).join("\n"),
      /dropped \d+ ms after revocation; sessions terminated: 1/,
    );
  });

  it("a job and the sweeper closing the same grant at once record one end, not two", async () => {
    const { subject, grant } = await newGrant();
    await provision(grant.id);
    await revokeGrant({ actor: subject, input: { grantId: grant.id } });
    const results = await Promise.all([
      runProvisioning({ grantId: grant.id, connectorId, action: "deprovision", trigger: "test" }),
      runProvisioning({ grantId: grant.id, connectorId, action: "deprovision", trigger: "sweeper" }),
    ]);
    assert.deepEqual(results.map((result) => result.outcome).sort(), ["deprovisioned", "skipped"]);
    const ends = await db.auditEvent.count({ where: { action: "grant.deprovisioned", targetId: grant.id } });
    const timeline = await db.provisioningEvent.count({ where: { grantId: grant.id, kind: "deprovisioned" } });
    assert.deepEqual([ends, timeline], [1, 1]);
  });

  it("the sweeper closes a grant that ended while no job ran, with no queue at all", async () => {
    const { grant } = await newGrant();
    const provisioned = await provision(grant.id);
    const role = provisioned.outcome === "provisioned" ? provisioned.externalRef : "";
    assert.equal(await roleExists(role), true);
    // Time passes; the deprovision job is lost with Redis. Only PostgreSQL knows the grant ended.
    await db.grant.update({ where: { id: grant.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    const swept = await sweepEndedGrants();
    assert.ok(swept.deprovisioned >= 1);
    assert.equal(await roleExists(role), false);
    const again = await db.grantProvisioning.findFirstOrThrow({ where: { grantId: grant.id } });
    assert.ok(again.deprovisionedAt);
    const timeline = await db.provisioningEvent.findMany({ where: { grantId: grant.id, kind: "deprovisioned" } });
    assert.match(timeline[0]?.message ?? "", /\(sweeper\)/);
  });

  it("the sweeper closes access whose provision crashed before the portal recorded it", async () => {
    const { grant } = await newGrant();
    const row = await db.connector.findUniqueOrThrow({ where: { id: connectorId }, select: CONNECTOR_ROW_SELECT });
    const { context } = loadConnector(row);
    await db.grantProvisioning.create({ data: { grantId: grant.id, connectorId, provisionStartedAt: new Date() } });
    // The target changed; the record of it never made it (provisionedAt stays null).
    const loaded = await db.grant.findUniqueOrThrow({
      where: { id: grant.id },
      include: {
        subject: { select: { id: true, email: true, name: true } },
        resource: { select: { id: true, key: true } },
      },
    });
    const changed = await postgresConnector.provision(context as never, {
      grantId: grant.id,
      subject: { ...loaded.subject, subjectId: `https://idp.test.example#${loaded.subject.id}` },
      resource: loaded.resource,
      permissions: loaded.permissions,
      targets: [target.readRole],
      startsAt: loaded.startsAt,
      expiresAt: loaded.expiresAt,
      revokedAt: null,
      externalRef: null,
      state: {},
    });
    await db.grant.update({ where: { id: grant.id }, data: { revokedAt: new Date() } });
    await sweepEndedGrants();
    assert.equal(await roleExists(changed.externalRef), false);
  });

  it("the sweeper provisions a live grant whose job was lost", async () => {
    const { grant } = await newGrant();
    await db.grant.update({ where: { id: grant.id }, data: { startsAt: new Date(Date.now() - 10_000) } });
    const swept = await sweepEndedGrants();
    assert.ok(swept.provisioned >= 1);
    const state = await db.grantProvisioning.findFirstOrThrow({ where: { grantId: grant.id } });
    assert.ok(state.provisionedAt && state.credentialSealed, "provisioned, credential waiting for its grantee");
  });

  it("an extension moves the end in the target without a gap", async () => {
    const { subject, grant } = await newGrant();
    const provisioned = await provision(grant.id);
    const role = provisioned.outcome === "provisioned" ? provisioned.externalRef : "";
    await requestExtension({
      actor: subject,
      input: { grantId: grant.id, minutes: 30, justification: "still on it, INC-4211" },
    });
    const moved = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    const job = await db.outboxJob.findFirst({
      where: { jobId: { contains: `${grant.id}_${connectorId}_provision_${moved.expiresAt.getTime()}` } },
    });
    assert.ok(job, "the extension queued a provision for the new end");
    await provision(grant.id);
    const validUntil = await target.superuser("select rolvaliduntil from pg_roles where rolname = $1", [role]);
    assert.equal((validUntil.rows[0] as { rolvaliduntil: Date }).rolvaliduntil.getTime(), moved.expiresAt.getTime());
    // The deprovision scheduled for the old end finds the grant still live and does nothing.
    const early = await runProvisioning({ grantId: grant.id, connectorId, action: "deprovision", trigger: "test" });
    assert.deepEqual(early, { outcome: "skipped", reason: "grant still live" });
    assert.equal(await roleExists(role), true);
  });

  it("a failed deprovision is loud: the grant's timeline, an audit event, one alert to security", async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("broken"), name: "Broken target", environment: "production", permissions: ["read"] },
    });
    const broken = await attachConnector({
      actor: admin,
      input: {
        resourceKey: resource.key,
        kind: "postgres",
        name: "unreachable",
        settings: { adminUrl: "postgresql://admin@127.0.0.1:1/none", loginRolePattern: "jit_{grant}" },
        mapping: { read: ["app_readonly"] },
      },
    });
    const subject = await createActor();
    const grant = await db.grant.create({
      data: {
        subjectId: subject.userId,
        resourceId: resource.id,
        permissions: ["read"],
        startsAt: new Date(Date.now() - 60_000),
        expiresAt: new Date(Date.now() - 1_000),
      },
    });
    const run = () =>
      runProvisioning({ grantId: grant.id, connectorId: broken.id, action: "deprovision", trigger: "test" });
    await assert.rejects(run(), /ECONNREFUSED|connect/);
    await assert.rejects(run(), /ECONNREFUSED|connect/);
    const alerts = await db.securityAlert.findMany({
      where: { kind: "provisioning.deprovision_failed", subject: { startsWith: grant.id } },
    });
    assert.equal(alerts.length, 1, "one alert, however many retries");
    const notices = await db.notification.findMany({
      where: { userId: security.userId, kind: "security.deprovision_failed", link: `/grants/${grant.id}` },
    });
    assert.equal(notices.length, 1);
    const failed = await db.provisioningEvent.findMany({ where: { grantId: grant.id, kind: "failed" } });
    assert.equal(failed.length, 2);
    assert.ok(
      await db.auditEvent.findFirst({
        where: { targetId: grant.id, action: "grant.deprovision_failed", outcome: "ERROR" },
      }),
    );
  });

  it("reports access no live grant explains to security once, and removes it when the resource says so", async () => {
    const principal = `${target.loginRolePattern.split("{")[0]}byhand_${Date.now() % 100000}`;
    await target.superuser(`create role "${principal}" login`);
    await target.superuser(`grant "${target.writeRole}" to "${principal}"`);
    const first = await detectDrift({ connectorId });
    assert.ok(first.found >= 1);
    const findings = await listDriftFindings({ actor: security });
    assert.ok(findings.some((finding) => finding.principal === principal && finding.target === target.writeRole));
    assert.ok(await db.notification.findFirst({ where: { userId: security.userId, kind: "security.drift_found" } }));
    await assert.rejects(listDriftFindings({ actor: await createActor() }), isCode("FORBIDDEN"));
    assert.equal((await detectDrift({ connectorId })).found, 0, "an open finding is not reported twice");
    // Live grants explain their own roles: none of them is a finding.
    const explainedRoles = await db.grantProvisioning.findMany({
      where: { connectorId, deprovisionedAt: null, externalRef: { not: null } },
    });
    const open = await listDriftFindings({ actor: security });
    for (const state of explainedRoles) {
      const live = await db.grant.findUniqueOrThrow({ where: { id: state.grantId } });
      if (!live.revokedAt && live.expiresAt > new Date())
        assert.ok(
          !open.some((finding) => finding.principal === state.externalRef),
          `${state.externalRef} is explained`,
        );
    }

    await attachConnector({
      actor: admin,
      input: {
        resourceKey,
        kind: "postgres",
        name: "primary",
        settings: { adminUrl: target.adminUrl, loginRolePattern: target.loginRolePattern },
        mapping: { read: [target.readRole], write: [target.writeRole] },
        autoRemoveDrift: true,
      },
    });
    const removed = await detectDrift({ connectorId });
    assert.ok(removed.removed >= 1);
    const member = await target.superuser("select pg_has_role($1, $2, 'member') as member", [
      principal,
      target.writeRole,
    ]);
    assert.deepEqual(member.rows, [{ member: false }], "the membership nobody granted is gone");
    await target.superuser(`drop role "${principal}"`);
    assert.ok(!(await listDriftFindings({ actor: security })).some((finding) => finding.principal === principal));
  });

  it("keeps the admin credential sealed: in no answer, no audit detail; only admins test the connection", async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("sealed"), name: "Sealed", environment: "staging", permissions: ["read"] },
    });
    const attached = await attachConnector({
      actor: admin,
      input: {
        resourceKey: resource.key,
        kind: "postgres",
        name: "sealed",
        settings: { adminUrl: target.adminUrl, loginRolePattern: "jit_{grant}" },
        mapping: { read: [target.readRole] },
        credential: ADMIN_PASSWORD_MARK,
      },
    });
    const row = await db.connector.findUniqueOrThrow({ where: { id: attached.id } });
    assert.ok(row.credentialSealed?.startsWith("v1.") && !row.credentialSealed.includes(ADMIN_PASSWORD_MARK));
    assert.ok(
      !JSON.stringify(await listConnectors({ actor: admin, resourceKey: resource.key })).includes(ADMIN_PASSWORD_MARK),
    );
    const audit = await db.auditEvent.findMany({ where: { targetId: attached.id } });
    assert.ok(audit.length > 0);
    assert.ok(!JSON.stringify(audit.map((event) => [event.details, event.reason])).includes(ADMIN_PASSWORD_MARK));
    await assert.rejects(testConnector({ actor: security, input: { connectorId: attached.id } }), isCode("FORBIDDEN"));
    const tested = await testConnector({ actor: admin, input: { connectorId } });
    assert.equal(tested.ok, true, tested.ok ? "" : tested.error);
  });

  it("refuses a mapping of permissions the resource lacks and settings its kind refuses, with reasons", async () => {
    const input = {
      resourceKey,
      kind: "postgres",
      name: "bad",
      settings: { adminUrl: target.adminUrl },
      mapping: { admin: ["x"] },
    };
    await assert.rejects(
      attachConnector({ actor: admin, input }),
      (error: unknown) => isCode("INVALID_INPUT")(error) && /lacks: admin/.test((error as Error).message),
    );
    await assert.rejects(
      attachConnector({
        actor: admin,
        input: { ...input, mapping: {}, settings: { adminUrl: "postgresql://a:pw@h/db" } },
      }),
      (error: unknown) =>
        isCode("INVALID_INPUT")(error) &&
        JSON.stringify((error as AppError & { fields?: unknown }).fields ?? {}).includes("password"),
    );
    await assert.rejects(attachConnector({ actor: admin, input: { ...input, kind: "ldap" } }), isCode("INVALID_INPUT"));
    await assert.rejects(attachConnector({ actor: security, input }), isCode("FORBIDDEN"));
  });

  it("leaves no login role behind once every grant of this suite has ended", async () => {
    await db.grant.updateMany({
      where: { resource: { key: resourceKey }, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await sweepEndedGrants();
    assert.equal(await countLoginRoles(target), 0);
  });
});
