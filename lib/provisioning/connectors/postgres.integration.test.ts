import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { disconnectDb } from "../../db";
import { startPostgresCluster } from "../../testing/postgres-cluster";
import { createPostgresTarget, type TPostgresTarget } from "../../testing/postgres-target";
import { runConformanceSuite } from "../conformance";
import type { TConnectorContext, TOneTimeCredential, TProvisioningGrant } from "../types";
import { closePostgresTargets, postgresConnector, ZPostgresSettings, type TPostgresSettings } from "./postgres";

after(async () => {
  await closePostgresTargets();
  await disconnectDb();
});

const field = (credential: TOneTimeCredential | null | undefined, label: string): string => {
  const value = credential?.fields.find((candidate) => candidate.label === label)?.value;
  assert.ok(value, `credential has ${label}`);
  return value;
};

const contextFor = (
  target: TPostgresTarget,
  mapping?: Record<string, string[]>,
): TConnectorContext<TPostgresSettings> => ({
  connectorId: randomUUID(),
  resourceKey: "prod-postgres",
  settings: ZPostgresSettings.parse({ adminUrl: target.adminUrl, loginRolePattern: target.loginRolePattern }),
  credential: target.adminPassword,
  mapping: mapping ?? { read: [target.readRole], write: [target.writeRole] },
});

const canLogIn = async (target: TPostgresTarget, user: string, password: string): Promise<boolean> => {
  try {
    const client = await target.login(user, password);
    await client.query("select count(*) from items");
    await client.end();
    return true;
  } catch {
    return false;
  }
};

runConformanceSuite<TPostgresSettings>({
  name: "PostgreSQL",
  connector: postgresConnector,
  permissions: ["read"],
  setup: async () => {
    const target = await createPostgresTarget();
    return {
      context: contextFor(target),
      canAccess: async (grant, credential) =>
        credential
          ? canLogIn(target, field(credential, "Username"), field(credential, "Password"))
          : Boolean(
              (await target.superuser("select 1 from pg_roles where rolname = $1 and rolcanlogin", [grant.externalRef]))
                .rowCount,
            ),
      addAccessByHand: async () => {
        const principal = `${target.loginRolePattern.split("{")[0]}byhand`;
        await target.superuser(`create role "${principal}" login`);
        await target.superuser(`grant "${target.readRole}" to "${principal}"`);
        return { principal, target: target.readRole };
      },
      teardown: async () => {
        await closePostgresTargets();
        await target.drop();
      },
    };
  },
});

describe("PostgreSQL connector against a real target", () => {
  let target: TPostgresTarget;
  let context: TConnectorContext<TPostgresSettings>;
  const grant = (permissions: string[], overrides: Partial<TProvisioningGrant> = {}): TProvisioningGrant => {
    const id = randomUUID();
    return {
      grantId: id,
      subject: {
        id: randomUUID(),
        subjectId: "https://idp.test.example#obrien",
        email: `o'brien"; drop role x; --@example.com`,
        name: "O'Brien",
      },
      resource: { id: randomUUID(), key: "prod-postgres" },
      permissions,
      targets: permissions.flatMap((permission) => context.mapping[permission] ?? []),
      startsAt: new Date(Date.now() - 1_000),
      expiresAt: new Date(Date.now() + 30 * 60_000),
      revokedAt: null,
      externalRef: null,
      state: {},
      ...overrides,
    };
  };

  before(async () => {
    target = await createPostgresTarget();
    context = contextFor(target);
  });
  after(async () => {
    await closePostgresTargets();
    await target?.drop();
  });

  it("lets a read grant SELECT with the real psql client and refuses its writes", async () => {
    const subject = grant(["read"]);
    const { credential, externalRef } = await postgresConnector.provision(context, subject);
    assert.match(
      externalRef,
      /^jit_t[0-9a-f]{8}_o_brien_drop_role_x_[0-9a-f]{12}$/,
      "a safe name from a hostile e-mail",
    );
    const psql = field(credential, "psql");
    const url = /^psql "(.*)"$/.exec(psql)?.[1];
    assert.ok(url, "a ready psql command");
    const run = (sql: string) =>
      promisify(execFile)("/usr/bin/psql", [url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], { timeout: 10_000 });
    assert.equal((await run("select count(*) from items")).stdout.trim(), "2");
    await assert.rejects(run("insert into items (name) values ('nope')"), /permission denied for table items/);
    await postgresConnector.deprovision(context, { ...subject, externalRef, revokedAt: new Date() });
    await assert.rejects(run("select 1"), /password authentication failed|does not exist/);
  });

  it("lets a write grant write", async () => {
    const subject = grant(["write"]);
    const { credential, externalRef } = await postgresConnector.provision(context, subject);
    const client = await target.login(field(credential, "Username"), field(credential, "Password"));
    await client.query("insert into items (name) values ('written by a grant')");
    await client.end();
    await postgresConnector.deprovision(context, { ...subject, externalRef, revokedAt: new Date() });
  });

  it("gives the login role VALID UNTIL the grant's end, and moves it on an extension", async () => {
    // The target refuses logins past that instant by itself, even with every worker down. (This
    // machine's cluster trusts local connections, which skips password and expiry checks, so the
    // catalog is what can be checked here; docs/connectors.md.)
    const validUntil = async (role: string) =>
      (
        (await target.superuser("select rolvaliduntil from pg_roles where rolname = $1", [role])).rows[0] as {
          rolvaliduntil: Date;
        }
      ).rolvaliduntil.getTime();
    const subject = grant(["read"], { expiresAt: new Date(Date.now() + 60_000) });
    const { externalRef } = await postgresConnector.provision(context, subject);
    assert.equal(await validUntil(externalRef), subject.expiresAt.getTime());
    const later = new Date(subject.expiresAt.getTime() + 30 * 60_000);
    await postgresConnector.provision(context, { ...subject, externalRef, expiresAt: later });
    assert.equal(await validUntil(externalRef), later.getTime());
    await postgresConnector.deprovision(context, { ...subject, externalRef });
  });

  it("ends a session already open at deprovision and counts it", async () => {
    const subject = grant(["read"]);
    const { credential, externalRef } = await postgresConnector.provision(context, subject);
    const session = await target.login(field(credential, "Username"), field(credential, "Password"));
    await session.query("select 1");
    const result = await postgresConnector.deprovision(context, { ...subject, externalRef, revokedAt: new Date() });
    assert.equal(result.sessionsTerminated, 1);
    await assert.rejects(session.query("select count(*) from items"), /terminat|Connection terminated|not queryable/i);
    await session.end().catch(() => undefined);
    assert.equal((await target.superuser("select 1 from pg_roles where rolname = $1", [externalRef])).rowCount, 0);
  });

  it("ends at once, with endAccess, only the sessions and logins of the grants it is given", async () => {
    const ending = grant(["read"]);
    const staying = grant(["read"]);
    const first = await postgresConnector.provision(context, ending);
    const second = await postgresConnector.provision(context, staying);
    const endingSession = await target.login(field(first.credential, "Username"), field(first.credential, "Password"));
    const stayingSession = await target.login(
      field(second.credential, "Username"),
      field(second.credential, "Password"),
    );
    endingSession.on("error", () => undefined);
    const ended = await postgresConnector.endAccess!(context, [{ ...ending, externalRef: first.externalRef }]);
    assert.deepEqual([...ended.entries()], [[ending.grantId, 1]]);
    await assert.rejects(
      endingSession.query("select count(*) from items"),
      /terminat|Connection terminated|not queryable/i,
    );
    await endingSession.end().catch(() => undefined);
    const login = await target.superuser(
      "select rolname, rolcanlogin from pg_roles where rolname = any($1) order by 2",
      [[first.externalRef, second.externalRef]],
    );
    assert.deepEqual(login.rows, [
      { rolname: first.externalRef, rolcanlogin: false },
      { rolname: second.externalRef, rolcanlogin: true },
    ]);
    assert.equal(
      (await stayingSession.query("select count(*) from items")).rowCount,
      1,
      "the other grant's session lives",
    );
    await stayingSession.end();
    for (const [subject, result] of [
      [ending, first],
      [staying, second],
    ] as const)
      await postgresConnector.deprovision(context, {
        ...subject,
        externalRef: result.externalRef,
        revokedAt: new Date(),
      });
  });

  it("hands what a grant's role created to the admin role before dropping it", async () => {
    const subject = grant(["write"]);
    const { credential, externalRef } = await postgresConnector.provision(context, subject);
    await target.superuser(`grant create on schema public to "${target.writeRole}"`);
    const client = await target.login(field(credential, "Username"), field(credential, "Password"));
    await client.query("create table left_behind (id int)");
    await client.end();
    assert.equal((await postgresConnector.deprovision(context, { ...subject, externalRef })).outcome, "removed");
    const owner = await target.superuser("select tableowner from pg_tables where tablename = 'left_behind'");
    assert.deepEqual(owner.rows, [{ tableowner: target.adminRole }]);
  });

  it("quotes every identifier: a mapped role whose name needs quoting works", async () => {
    const odd = `Jit.Read-${randomUUID().slice(0, 4)}`;
    await target.superuser(`create role "${odd}" nologin`);
    await target.superuser(`grant "${target.readRole}" to "${odd}"`);
    const oddContext = contextFor(target, { read: [odd] });
    const subject = { ...grant(["read"]), targets: [odd] };
    const { credential, externalRef } = await postgresConnector.provision(oddContext, subject);
    assert.equal(await canLogIn(target, field(credential, "Username"), field(credential, "Password")), true);
    await postgresConnector.deprovision(oddContext, { ...subject, externalRef });
    await target.superuser(`drop role "${odd}"`);
  });

  it("says what is wrong in Test connection: a mapped role that does not exist", async () => {
    const result = await postgresConnector.test(contextFor(target, { read: ["no_such_role_here"] }));
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : result.error, /mapped roles not found: no_such_role_here/);
  });

  it("refuses settings that would keep the admin password in the clear or inject through the pattern", () => {
    assert.equal(ZPostgresSettings.safeParse({ adminUrl: "postgresql://admin:secret@db:5432/app" }).success, false);
    assert.equal(
      ZPostgresSettings.safeParse({
        adminUrl: "postgresql://admin@db/app",
        loginRolePattern: 'x"; drop role y; --{grant}',
      }).success,
      false,
    );
    assert.equal(
      ZPostgresSettings.safeParse({ adminUrl: "postgresql://admin@db/app", loginRolePattern: "jit_{user}" }).success,
      false,
    );
  });
});

describe("PostgreSQL connector against a target that checks passwords (a private scram-sha-256 cluster)", () => {
  it("logs in with the credential only, and is refused after the grant's end with no deprovision at all", async () => {
    const cluster = await startPostgresCluster({ maxConnections: 30 });
    const target = await createPostgresTarget({ clusterUrl: cluster.superuserUrl });
    try {
      const context = contextFor(target);
      const id = randomUUID();
      const subject: TProvisioningGrant = {
        grantId: id,
        subject: { id: randomUUID(), subjectId: "https://idp.test.example#pat", email: "pat@example.com", name: "Pat" },
        resource: { id: randomUUID(), key: "prod-postgres" },
        permissions: ["read"],
        targets: [target.readRole],
        startsAt: new Date(Date.now() - 1_000),
        expiresAt: new Date(Date.now() + 4_000),
        revokedAt: null,
        externalRef: null,
        state: {},
      };
      // The admin logs in with the sealed credential here: a wrong one would fail the provision.
      const { credential } = await postgresConnector.provision(context, subject);
      const [user, password] = [field(credential, "Username"), field(credential, "Password")];
      assert.equal(await canLogIn(target, user, password), true);
      await assert.rejects(target.login(user, `${password}x`), /password authentication failed/);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, subject.expiresAt.getTime() - Date.now()) + 500));
      // VALID UNTIL: the target itself refuses, even if every worker of the portal were down.
      await assert.rejects(target.login(user, password), /password authentication failed/);
      await assert.rejects(
        postgresConnector.provision({ ...context, credential: "wrong" }, { ...subject, grantId: randomUUID() }),
        /password authentication failed/,
      );
    } finally {
      await closePostgresTargets();
      await target.drop().catch(() => undefined);
      cluster.stop();
    }
  });
});
