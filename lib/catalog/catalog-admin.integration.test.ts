import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { listRequestable } from "../access/eligibility";
import type { TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, createUser, uniqueId } from "../testing/fixtures";
import {
  archiveResource,
  createPolicy,
  createResource,
  deletePolicy,
  exportCatalog,
  getCatalogResource,
  importCatalog,
  listCatalog,
  updatePolicy,
  updateResource,
} from "./index";
import type { TPolicyInput } from "./schemas";

after(disconnectDb);

const isCode = (code: string, message?: RegExp) => (error: unknown) =>
  error instanceof AppError && error.code === code && (!message || message.test(error.message));

const admin = () => createActor({ groups: ["portal-admins"] });

const newResource = (key = uniqueId("db")) => ({
  key,
  name: "Orders DB",
  description: "Orders.",
  environment: "production",
  permissions: ["read", "write"],
});

/** A resource's fields without its key, as an update takes them. */
const updateOf = ({ key: _key, ...fields }: ReturnType<typeof newResource>) => fields;

const newPolicy = (changes: Partial<TPolicyInput> = {}): TPolicyInput => ({
  name: "read",
  permissions: ["read"],
  requesterGroups: ["engineers"],
  approverGroups: ["db-approvers"],
  approvalsRequired: 1,
  defaultDurationMinutes: 30,
  maxDurationMinutes: 60,
  ...changes,
});

const eventsFor = (action: string, targetId: string) =>
  db.auditEvent.findMany({ where: { action, targetId }, orderBy: { seq: "asc" } });

/** The catalog tables and the audit log, to show that a refused change touched nothing. */
const snapshot = async () => ({
  resources: await db.resource.findMany({ orderBy: { id: "asc" } }),
  policies: await db.accessPolicy.findMany({ orderBy: { id: "asc" } }),
  // Denials, and the security alert a burst of them raises, are expected; catalog changes are not.
  auditEvents: await db.auditEvent.count({ where: { action: { notIn: ["authz.denied", "security.alert"] } } }),
});

const pendingRequest = async (options: { resourceId: string; policyId: string; status?: "PENDING" | "DENIED" }) => {
  const requester = await createUser();
  return db.accessRequest.create({
    data: {
      requesterId: requester.id,
      resourceId: options.resourceId,
      policyId: options.policyId,
      permissions: ["read"],
      justification: "Investigating an incident",
      durationMinutes: 30,
      decideBy: new Date(Date.now() + 3_600_000),
      status: options.status ?? "PENDING",
    },
  });
};

describe("administrators manage resources", () => {
  it("creates, updates and archives a resource, one audit event per change with what changed", async () => {
    const actor = await admin();
    const input = newResource();
    const { id } = await createResource({ actor, input, context: { ip: "203.0.113.9", userAgent: "test" } });

    const [created] = await eventsFor("resource.create", id);
    assert.equal(created?.actorId, actor.userId);
    assert.equal(created?.ip, "203.0.113.9");
    // The schema's defaults are part of what was created: no Slack channel of its own.
    assert.deepEqual(created?.details, { key: input.key, after: { ...input, slackChannel: null } });

    assert.deepEqual(
      await updateResource({
        actor,
        key: input.key,
        input: { ...updateOf(input), name: "Orders", permissions: ["read", "write", "admin"] },
      }),
      { changed: true },
    );
    const updates = await eventsFor("resource.update", id);
    assert.equal(updates.length, 1);
    assert.deepEqual(updates[0]?.details, {
      key: input.key,
      changes: {
        name: { before: "Orders DB", after: "Orders" },
        permissions: { before: ["read", "write"], after: ["read", "write", "admin"] },
      },
    });
    // The same values again: nothing changes, nothing is recorded.
    assert.deepEqual(
      await updateResource({
        actor,
        key: input.key,
        input: {
          name: "Orders",
          description: "Orders.",
          environment: "production",
          permissions: ["read", "write", "admin"],
        },
      }),
      { changed: false },
    );
    assert.equal((await eventsFor("resource.update", id)).length, 1);

    assert.deepEqual(await archiveResource({ actor, key: input.key }), { archived: true });
    assert.ok((await db.resource.findUniqueOrThrow({ where: { id } })).archivedAt);
    assert.equal((await eventsFor("resource.archive", id)).length, 1);
    assert.deepEqual(await archiveResource({ actor, key: input.key }), { archived: false });
    assert.equal((await eventsFor("resource.archive", id)).length, 1);
  });

  it("takes an archived resource off the request list, keeps it for history, and refuses to change it", async () => {
    const actor = await admin();
    const group = uniqueId("team");
    const requester = await createActor({ groups: [group] });
    const { key } = newResource();
    await createResource({ actor, input: newResource(key) });
    await createPolicy({ actor, resourceKey: key, input: newPolicy({ requesterGroups: [group] }) });
    assert.ok((await listRequestable({ actor: requester })).some((resource) => resource.resourceKey === key));

    await archiveResource({ actor, key });
    assert.equal(
      (await listRequestable({ actor: requester })).some((resource) => resource.resourceKey === key),
      false,
    );
    const archived = await getCatalogResource({ actor, key });
    assert.ok(archived.archivedAt);
    assert.equal(archived.policies.length, 1);
    assert.ok(!(await exportCatalog({ actor, format: "json" })).includes(key), "archived resources are not exported");

    await assert.rejects(
      updateResource({ actor, key, input: updateOf(newResource()) }),
      isCode("CONFLICT", /archived/),
    );
    await assert.rejects(
      createPolicy({ actor, resourceKey: key, input: newPolicy({ name: "other" }) }),
      isCode("CONFLICT", /archived/),
    );
    await assert.rejects(
      updatePolicy({ actor, policyId: archived.policies[0]!.id, input: newPolicy({ approvalsRequired: 2 }) }),
      isCode("CONFLICT", /archived/),
    );
    await assert.rejects(
      createResource({ actor, input: newResource(key) }),
      isCode("CONFLICT", /archived; keys are never reused/),
    );
  });

  it("refuses to archive a resource while requests for it are pending", async () => {
    const actor = await admin();
    const input = newResource();
    const resource = await createResource({ actor, input });
    const policy = await createPolicy({ actor, resourceKey: input.key, input: newPolicy() });
    await pendingRequest({ resourceId: resource.id, policyId: policy.id });
    await assert.rejects(archiveResource({ actor, key: input.key }), isCode("CONFLICT", /1 pending request/));
    assert.equal((await db.resource.findUniqueOrThrow({ where: { id: resource.id } })).archivedAt, null);
    assert.equal((await eventsFor("resource.archive", resource.id)).length, 0);
  });

  it("answers a duplicate key with CONFLICT and a message, writing nothing and recording nothing", async () => {
    const actor = await admin();
    const input = newResource();
    await createResource({ actor, input });
    const before = await snapshot();
    await assert.rejects(createResource({ actor, input: { ...input, name: "Another" } }), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, "CONFLICT");
      assert.equal(error.message, `A resource with key "${input.key}" already exists.`);
      assert.equal(error.fields.key, error.message);
      return true;
    });
    assert.deepEqual(await snapshot(), before);
  });

  it("lets exactly one of two concurrent creates of the same key win; the other gets CONFLICT", async () => {
    const actor = await admin();
    const input = newResource();
    const results = await Promise.allSettled([
      createResource({ actor, input }),
      createResource({ actor, input: { ...input, name: "Twin" } }),
    ]);
    assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
    const refused = results.find((result) => result.status === "rejected");
    assert.ok(refused && isCode("CONFLICT")(refused.reason));
    assert.equal(await db.resource.count({ where: { key: input.key } }), 1);
    assert.equal(
      await db.auditEvent.count({
        where: { action: "resource.create", details: { path: ["key"], equals: input.key } },
      }),
      1,
    );
  });

  it("writes a change only together with its audit event", async () => {
    const actor = await admin();
    const input = newResource();
    // Make the audit insert for exactly this resource fail inside PostgreSQL: the event fails
    // after the resource row was written in the same transaction, so the row must not survive.
    await db.$executeRawUnsafe(`create or replace function jit_test_refuse_audit() returns trigger language plpgsql as $$
      begin if new.details->>'key' = '${input.key}' then raise exception 'audit write refused by test'; end if; return new; end $$`);
    await db.$executeRawUnsafe(
      `create trigger jit_test_refuse_audit before insert on "AuditEvent" for each row execute function jit_test_refuse_audit()`,
    );
    try {
      await assert.rejects(createResource({ actor, input }), /audit write refused by test/);
    } finally {
      await db.$executeRawUnsafe(`drop trigger if exists jit_test_refuse_audit on "AuditEvent"`);
      await db.$executeRawUnsafe(`drop function if exists jit_test_refuse_audit()`);
    }
    assert.equal(await db.resource.count({ where: { key: input.key } }), 0);
    assert.equal(
      await db.auditEvent.count({
        where: { action: "resource.create", details: { path: ["key"], equals: input.key } },
      }),
      0,
    );
  });

  it("truncates client-controlled request metadata instead of failing the change", async () => {
    const actor = await admin();
    const input = newResource();
    await createResource({ actor, input, context: { userAgent: "x".repeat(5_000), ip: "1".repeat(300) } });
    const event = await db.auditEvent.findFirstOrThrow({
      where: { action: "resource.create", details: { path: ["key"], equals: input.key } },
    });
    assert.equal(event.userAgent?.length, 500);
    assert.equal(event.ip?.length, 100);
  });

  it("answers bad input with INVALID_INPUT and the path of each bad field", async () => {
    const actor = await admin();
    const input = newResource();
    await assert.rejects(
      createResource({ actor, input: { ...input, key: "Bad Key", permissions: ["read", "read"] } }),
      (error: unknown) => {
        assert.ok(error instanceof AppError && error.code === "INVALID_INPUT");
        assert.deepEqual(Object.keys(error.fields).sort(), ["key", "permissions[1]"]);
        return true;
      },
    );
    await createResource({ actor, input });
    await createPolicy({ actor, resourceKey: input.key, input: newPolicy({ name: "write", permissions: ["write"] }) });
    await assert.rejects(
      createPolicy({ actor, resourceKey: input.key, input: newPolicy({ permissions: ["read", "admin"] }) }),
      (error: unknown) => {
        assert.ok(error instanceof AppError && error.code === "INVALID_INPUT");
        assert.deepEqual(error.fields, {
          "permissions[1]": `"admin" is not a permission of resource "${input.key}" (read, write)`,
        });
        return true;
      },
    );
    // A permission a policy still offers can't be taken from the resource.
    await assert.rejects(
      updateResource({ actor, key: input.key, input: { ...updateOf(input), permissions: ["read"] } }),
      (error: unknown) => {
        assert.ok(error instanceof AppError && error.code === "INVALID_INPUT");
        assert.deepEqual(error.fields, {
          permissions: `"write" is offered by policy "write"; change or delete that policy first`,
        });
        return true;
      },
    );
    await assert.rejects(updateResource({ actor, key: uniqueId("none"), input: updateOf(input) }), isCode("NOT_FOUND"));
  });
});

describe("administrators manage policies", () => {
  it("creates, updates (renames) and deletes a policy, one audit event per change", async () => {
    const actor = await admin();
    const input = newResource();
    await createResource({ actor, input });
    const { id } = await createPolicy({ actor, resourceKey: input.key, input: newPolicy() });
    const [created] = await eventsFor("policy.create", id);
    assert.equal((created?.details as { resourceKey: string }).resourceKey, input.key);
    assert.equal((created?.details as { after: { approvalsRequired: number } }).after.approvalsRequired, 1);

    assert.deepEqual(
      await updatePolicy({
        actor,
        policyId: id,
        input: newPolicy({
          name: "read-only",
          approvalsRequired: 2,
          ticketRequired: true,
          ticketPattern: "^INC-\\d+$",
        }),
      }),
      { changed: true },
    );
    const [updated] = await eventsFor("policy.update", id);
    assert.deepEqual(updated?.details, {
      resourceKey: input.key,
      name: "read",
      changes: {
        name: { before: "read", after: "read-only" },
        approvalsRequired: { before: 1, after: 2 },
        ticketRequired: { before: false, after: true },
        ticketPattern: { before: null, after: "^INC-\\d+$" },
      },
    });
    assert.deepEqual(
      await updatePolicy({
        actor,
        policyId: id,
        input: newPolicy({
          name: "read-only",
          approvalsRequired: 2,
          ticketRequired: true,
          ticketPattern: "^INC-\\d+$",
        }),
      }),
      { changed: false },
    );
    assert.equal((await eventsFor("policy.update", id)).length, 1);

    const catalog = await listCatalog({ actor });
    assert.equal(catalog.find((resource) => resource.key === input.key)?.policies[0]?.name, "read-only");

    assert.deepEqual(await deletePolicy({ actor, policyId: id }), { resourceKey: input.key, name: "read-only" });
    assert.equal(await db.accessPolicy.count({ where: { id } }), 0);
    const [deleted] = await eventsFor("policy.delete", id);
    assert.equal((deleted?.details as { before: { name: string } }).before.name, "read-only");
    await assert.rejects(deletePolicy({ actor, policyId: id }), isCode("NOT_FOUND"));
  });

  it("answers a duplicate policy name on a resource with CONFLICT, on create and on rename", async () => {
    const actor = await admin();
    const input = newResource();
    await createResource({ actor, input });
    await createPolicy({ actor, resourceKey: input.key, input: newPolicy() });
    const { id } = await createPolicy({
      actor,
      resourceKey: input.key,
      input: newPolicy({ name: "write", permissions: ["write"] }),
    });
    const before = await snapshot();
    await assert.rejects(
      createPolicy({ actor, resourceKey: input.key, input: newPolicy() }),
      isCode("CONFLICT", /already has a policy named "read"/),
    );
    await assert.rejects(
      updatePolicy({ actor, policyId: id, input: newPolicy() }),
      isCode("CONFLICT", /already has a policy named "read"/),
    );
    assert.deepEqual(await snapshot(), before);
  });

  it("refuses to delete a policy with pending requests, or with past requests kept for history", async () => {
    const actor = await admin();
    const input = newResource();
    const resource = await createResource({ actor, input });
    const pending = await createPolicy({ actor, resourceKey: input.key, input: newPolicy() });
    const decided = await createPolicy({ actor, resourceKey: input.key, input: newPolicy({ name: "read-2" }) });
    await pendingRequest({ resourceId: resource.id, policyId: pending.id });
    await pendingRequest({ resourceId: resource.id, policyId: decided.id, status: "DENIED" });
    const before = await snapshot();

    await assert.rejects(
      deletePolicy({ actor, policyId: pending.id }),
      isCode("CONFLICT", /has 1 pending request\(s\)/),
    );
    await assert.rejects(
      deletePolicy({ actor, policyId: decided.id }),
      isCode("CONFLICT", /1 past request\(s\), kept for history/),
    );
    assert.deepEqual(await snapshot(), before);
    const listed = await getCatalogResource({ actor, key: input.key });
    assert.deepEqual(
      listed.policies.map((policy) => [policy.name, policy.pendingRequests, policy.totalRequests]),
      [
        ["read", 1, 1],
        ["read-2", 0, 1],
      ],
    );
  });
});

describe("only administrators manage the catalog", () => {
  it("refuses everyone else: FORBIDDEN, nothing changed, and each denial audited", async () => {
    const owner = await admin();
    const input = newResource();
    await createResource({ actor: owner, input });
    const { id: policyId } = await createPolicy({ actor: owner, resourceKey: input.key, input: newPolicy() });
    const before = await snapshot();

    for (const groups of [["engineers"], ["security-reviewers"], ["db-approvers"]]) {
      const actor: TUserActor = await createActor({ groups });
      const attempts = [
        () => listCatalog({ actor }),
        () => getCatalogResource({ actor, key: input.key }),
        () => createResource({ actor, input: newResource() }),
        () => updateResource({ actor, key: input.key, input: { ...updateOf(input), name: "Mine now" } }),
        () => archiveResource({ actor, key: input.key }),
        () => createPolicy({ actor, resourceKey: input.key, input: newPolicy({ name: "mine" }) }),
        () => updatePolicy({ actor, policyId, input: newPolicy({ requesterGroups: groups }) }),
        () => deletePolicy({ actor, policyId }),
        () => exportCatalog({ actor, format: "yaml" }),
        () => importCatalog({ actor, source: "version: 1\nresources: []\n", fileName: "c.yaml", mode: "apply" }),
      ];
      for (const attempt of attempts) await assert.rejects(attempt(), isCode("FORBIDDEN"));
      const denials = await db.auditEvent.findMany({ where: { action: "authz.denied", actorId: actor.userId } });
      assert.equal(denials.length, attempts.length);
      assert.ok(denials.every((event) => event.reason === "not allowed: catalog.manage" && event.outcome === "DENIED"));
    }
    assert.deepEqual(await snapshot(), before);
  });
});
