/**
 * SCIM request sequences as Okta's and Entra ID's provisioning documentation shows them, and the
 * generic RFC 7644 behaviour (filters, pagination, 404, 409, 412), through the route handlers
 * against real PostgreSQL. The PATCH grammar is fuzzed: any body is a SCIM answer, never a 500.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { db, disconnectDb } from "../db";
import { checkProperty, hostileJson, hostileString } from "../testing/hostile";
import { createScimClient, type TScimClient } from "../testing/scim-client";
import { SCIM_ERROR_SCHEMA } from "./errors";
import { PATCH_OP_SCHEMA } from "./patch";

after(disconnectDb);

const patch = (Operations: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations });
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

const assertScimError = (
  answer: { status: number; body: Record<string, unknown> },
  status: number,
  scimType?: string,
) => {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.deepEqual(answer.body.schemas, [SCIM_ERROR_SCHEMA]);
  assert.equal(answer.body.status, String(status));
  if (scimType) assert.equal(answer.body.scimType, scimType);
};

const stored = (id: string) =>
  db.user.findUniqueOrThrow({
    where: { id },
    select: { deactivatedAt: true, groups: true, name: true, subject: true },
  });

let okta: TScimClient;
let entra: TScimClient;
before(async () => {
  okta = await createScimClient();
  entra = await createScimClient();
});

describe("an Okta-shaped provisioning session", () => {
  it("creates, deactivates, reactivates, renames and pushes groups", async () => {
    // Okta looks a person up by userName before creating them.
    const lookup = await okta.call(
      "GET",
      `/Users?filter=${encodeURIComponent('userName eq "test.user@okta.local"')}&startIndex=1&count=100`,
    );
    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.totalResults, 0);
    assert.equal(lookup.headers.get("content-type"), "application/scim+json");

    const created = await okta.call("POST", "/Users", {
      schemas: [USER],
      userName: "test.user@okta.local",
      name: { givenName: "Test", familyName: "User" },
      emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
      displayName: "Test User",
      locale: "en-US",
      externalId: "00ujl29u0le5T6Aj10h7",
      groups: [],
      password: "1mz050nq",
      active: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.equal(created.headers.get("etag"), 'W/"1"');
    assert.match(created.headers.get("location") ?? "", new RegExp(`/scim/v2/Users/${id}$`));
    const row = await db.user.findUniqueOrThrow({ where: { id } });
    assert.equal(row.issuer, okta.issuer);
    assert.equal(row.subject, "00ujl29u0le5T6Aj10h7", "keyed by the Okta user id, the ID token's sub");
    assert.equal(row.email, "test.user@okta.local");
    assert.equal(row.lastSignInAt, null, "exists before the first sign-in");

    const deactivated = await okta.call("PATCH", `/Users/${id}`, patch([{ op: "replace", value: { active: false } }]));
    assert.equal(deactivated.status, 200, JSON.stringify(deactivated.body));
    assert.equal(deactivated.body.active, false);
    assert.notEqual((await stored(id)).deactivatedAt, null);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { action: "user.deactivate", targetId: id } });
    assert.equal(audit.actorType, "DIRECTORY");
    assert.equal(audit.actorId, okta.connectionId);

    const reactivated = await okta.call("PATCH", `/Users/${id}`, patch([{ op: "replace", value: { active: true } }]));
    assert.equal(reactivated.body.active, true);
    assert.equal((await stored(id)).deactivatedAt, null);

    // Okta's profile push: PUT of the whole user, here with a new name and login.
    const renamed = await okta.call("PUT", `/Users/${id}`, {
      schemas: [USER],
      id,
      userName: "test.user2@okta.local",
      name: { givenName: "Tess", familyName: "User" },
      emails: [{ primary: true, value: "test.user2@okta.local", type: "work" }],
      displayName: "Tess User",
      externalId: "00ujl29u0le5T6Aj10h7",
      active: true,
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.userName, "test.user2@okta.local");
    assert.equal((await stored(id)).name, "Tess User");

    // Group push: create, rename with a path-less replace, add and remove members.
    const group = await okta.call("POST", "/Groups", { schemas: [GROUP], displayName: "Test SCIMv2", members: [] });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const groupId = group.body.id as string;
    const renamedGroup = await okta.call(
      "PATCH",
      `/Groups/${groupId}`,
      patch([{ op: "replace", value: { id: groupId, displayName: "db-approvers-okta" } }]),
    );
    assert.equal(renamedGroup.body.displayName, "db-approvers-okta");
    const added = await okta.call(
      "PATCH",
      `/Groups/${groupId}`,
      patch([{ op: "add", path: "members", value: [{ value: id, display: "test.user2@okta.local" }] }]),
    );
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual((await stored(id)).groups, ["db-approvers-okta"], "the person's groups follow at once");
    const removed = await okta.call(
      "PATCH",
      `/Groups/${groupId}`,
      patch([{ op: "remove", path: `members[value eq "${id}"]` }]),
    );
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body.members, []);
    assert.deepEqual((await stored(id)).groups, []);
    const events = await db.auditEvent.findMany({
      where: { actorType: "DIRECTORY", actorId: okta.connectionId, targetId: groupId },
      select: { action: true },
    });
    assert.deepEqual(
      events.map((event) => event.action),
      ["directory.group.create", "directory.group.patch", "directory.group.patch", "directory.group.patch"],
    );
  });
});

describe("an Entra ID-shaped provisioning session", () => {
  it('finds by externalId, takes path-less replaces and "False" strings, and adds/removes members by value list', async () => {
    const externalId = "9950b140-90a0-4201-9d65-b5f209fb4cd0";
    const none = await entra.call("GET", `/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}`);
    assert.equal(none.body.totalResults, 0);
    const created = await entra.call("POST", "/Users", {
      schemas: [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
      externalId,
      userName: "Test_User_ab6490ee@contoso.com",
      active: true,
      emails: [{ primary: true, type: "work", value: "Test_User_ab6490ee@contoso.com" }],
      meta: { resourceType: "User" },
      name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
      roles: [],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Engineering" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    const found = await entra.call("GET", `/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}`);
    assert.equal(found.body.totalResults, 1);

    const renamed = await entra.call(
      "PATCH",
      `/Users/${id}`,
      patch([
        { op: "Replace", value: { displayName: "Renamed", "name.familyName": "Family" } },
        { op: "Replace", path: 'emails[type eq "work"].value', value: "renamed@contoso.com" },
        { op: "Add", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", value: "7" },
      ]),
    );
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.displayName, "Renamed");
    assert.equal((renamed.body.name as { familyName: string }).familyName, "Family");

    const disabled = await entra.call(
      "PATCH",
      `/Users/${id}`,
      patch([{ op: "Replace", path: "active", value: "False" }]),
    );
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.equal(disabled.body.active, false);
    assert.notEqual((await stored(id)).deactivatedAt, null);
    const enabled = await entra.call(
      "PATCH",
      `/Users/${id}`,
      patch([{ op: "Replace", path: "active", value: "True" }]),
    );
    assert.equal(enabled.body.active, true);

    const group = await entra.call("POST", "/Groups", {
      schemas: [GROUP],
      displayName: "entra-engineers",
      externalId: "g1",
    });
    const groupId = group.body.id as string;
    const lookup = await entra.call(
      "GET",
      `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "entra-engineers"')}`,
    );
    assert.equal(lookup.body.totalResults, 1);
    assert.equal((lookup.body.Resources as Array<Record<string, unknown>>)[0]?.members, undefined);
    await entra.call("PATCH", `/Groups/${groupId}`, patch([{ op: "Add", path: "members", value: [{ value: id }] }]));
    assert.deepEqual((await stored(id)).groups, ["entra-engineers"]);
    await entra.call("PATCH", `/Groups/${groupId}`, patch([{ op: "Remove", path: "members", value: [{ value: id }] }]));
    assert.deepEqual((await stored(id)).groups, []);
  });
});

describe("RFC 7644 behaviour", () => {
  it("filters, paginates with startIndex and count, answers 404, 409 and 412 with SCIM error bodies", async () => {
    const client = await createScimClient();
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const answer = await client.call("POST", "/Users", {
        schemas: [USER],
        userName: `page${n}@example.com`,
        externalId: `ext-${n}`,
      });
      ids.push(answer.body.id as string);
    }
    const byName = await client.call("GET", `/Users?filter=${encodeURIComponent('userName eq "PAGE2@example.com"')}`);
    assert.equal(byName.body.totalResults, 1, "userName compares without case");
    const page = await client.call("GET", "/Users?startIndex=2&count=1");
    assert.equal(page.body.totalResults, 3);
    assert.equal(page.body.startIndex, 2);
    assert.equal(page.body.itemsPerPage, 1);
    assert.equal((page.body.Resources as Array<{ id: string }>)[0]?.id, [...ids].sort()[1]);

    assertScimError(await client.call("GET", "/Users/00000000-0000-0000-0000-000000000000"), 404);
    assertScimError(
      await client.call("GET", `/Users?filter=${encodeURIComponent('title co "x"')}`),
      400,
      "invalidFilter",
    );
    assertScimError(
      await client.call("POST", "/Users", { schemas: [USER], userName: "Page1@example.com" }),
      409,
      "uniqueness",
    );

    const id = ids[0] ?? "";
    const current = await client.call("GET", `/Users/${id}`);
    const etag = current.headers.get("etag") ?? "";
    assertScimError(
      await client.call("PATCH", `/Users/${id}`, patch([{ op: "replace", path: "displayName", value: "x" }]), {
        "if-match": 'W/"999"',
      }),
      412,
    );
    const ok = await client.call("PATCH", `/Users/${id}`, patch([{ op: "replace", path: "displayName", value: "x" }]), {
      "if-match": etag,
    });
    assert.equal(ok.status, 200);
    assert.notEqual(ok.headers.get("etag"), etag);

    for (const path of ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"]) {
      const answer = await client.call("GET", path);
      assert.equal(answer.status, 200, path);
    }
    assert.deepEqual((await client.call("GET", "/ServiceProviderConfig")).body.etag, { supported: true });

    const deleted = await client.call("DELETE", `/Users/${ids[1] ?? ""}`);
    assert.equal(deleted.status, 204);
    assertScimError(await client.call("GET", `/Users/${ids[1] ?? ""}`), 404);
    assert.notEqual(
      (await stored(ids[1] ?? "")).deactivatedAt,
      null,
      "a deleted person is deactivated, their row kept",
    );
  });

  it("answers any PATCH body with a SCIM answer, never a 500 and never a half-written user", async () => {
    const client = await createScimClient();
    const created = await client.call("POST", "/Users", {
      schemas: [USER],
      userName: "fuzz@example.com",
      externalId: "fuzz",
    });
    const id = created.body.id as string;
    const group = await client.call("POST", "/Groups", { schemas: [GROUP], displayName: "fuzz-group" });
    const groupId = group.body.id as string;
    const attribute = fc.constantFrom(
      "active",
      "displayName",
      "name.givenName",
      "emails",
      "members",
      "userName",
      "externalId",
      "__proto__",
      "constructor",
    );
    const path = fc.oneof(
      attribute,
      hostileString(),
      fc.tuple(attribute, attribute, hostileString()).map(([a, b, v]) => `${a}[${b} eq ${JSON.stringify(v)}]`),
      fc.tuple(attribute, attribute).map(([a, b]) => `${a}.${b}`),
      attribute.map((a) => `urn:ietf:params:scim:schemas:core:2.0:User:${a}`),
    );
    const value = fc.oneof(
      hostileJson(),
      fc.constantFrom(true, false, "False", "True", "maybe", null, [{ value: id }], [{ value: "nope" }]),
      fc.dictionary(attribute, hostileJson(2)),
    );
    const operation = fc.record(
      { op: fc.oneof(fc.constantFrom("add", "Replace", "remove", "REMOVE"), hostileString()), path, value },
      { requiredKeys: ["op"] },
    );
    const body = fc.oneof(
      fc
        .array(operation, { minLength: 0, maxLength: 4 })
        .map((Operations) => ({ schemas: [PATCH_OP_SCHEMA], Operations })),
      hostileJson(),
    );
    await checkProperty(
      fc.asyncProperty(body, fc.boolean(), async (patchBody, onGroup) => {
        const before = await db.user.findUniqueOrThrow({ where: { id }, select: { scimVersion: true } });
        const answer = await client.call("PATCH", onGroup ? `/Groups/${groupId}` : `/Users/${id}`, patchBody);
        assert.ok(answer.status < 500, `${answer.status} ${JSON.stringify(answer.body)}`);
        if (answer.status >= 400) {
          assert.deepEqual(answer.body.schemas, [SCIM_ERROR_SCHEMA]);
          const after = await db.user.findUniqueOrThrow({ where: { id }, select: { scimVersion: true } });
          assert.equal(after.scimVersion, before.scimVersion, "a refused PATCH changes nothing");
        }
      }),
      60,
      20,
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
