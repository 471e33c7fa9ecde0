import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { DEMO_RESOURCES } from "../../prisma/demo-data";
import { seedDemoData } from "../../prisma/seed";
import { db, disconnectDb } from "../db";
import { createActor, createUser, uniqueId } from "../testing/fixtures";
import {
  archiveResource,
  createPolicy,
  createResource,
  exportCatalog,
  formatImportError,
  importCatalog,
  type TImportResult,
} from "./index";
import type { TPolicyInput } from "./schemas";

after(disconnectDb);
before(() => seedDemoData());

const admin = () => createActor({ groups: ["portal-admins"] });

/** The catalog tables and the audit log, to show that an import touched nothing. */
const snapshot = async () => ({
  resources: await db.resource.findMany({ orderBy: { id: "asc" } }),
  policies: await db.accessPolicy.findMany({ orderBy: { id: "asc" } }),
  auditEvents: await db.auditEvent.count(),
});

const policy = (name: string, changes: Partial<TPolicyInput> = {}): TPolicyInput => ({
  name,
  permissions: ["read"],
  requesterGroups: ["engineers"],
  approverGroups: ["db-approvers"],
  approvalsRequired: 1,
  defaultDurationMinutes: 30,
  maxDurationMinutes: 60,
  ...changes,
});

const resource = (key: string, policies: TPolicyInput[], changes: Record<string, unknown> = {}) => ({
  key,
  name: "Orders DB",
  description: "",
  environment: "production",
  permissions: ["read", "write"],
  policies,
  ...changes,
});

const yamlOf = (resources: unknown[]) => stringify({ version: 1, resources });

const expectOk = (result: TImportResult) => {
  assert.ok(result.ok, result.ok ? "" : result.errors.map(formatImportError).join("\n"));
  return result;
};

const expectErrors = (result: TImportResult) => {
  assert.equal(result.ok, false);
  return result.ok ? [] : result.errors;
};

const requestFor = async (policyId: string, status: "PENDING" | "APPROVED" = "PENDING") => {
  const found = await db.accessPolicy.findUniqueOrThrow({ where: { id: policyId } });
  const requester = await createUser();
  await db.accessRequest.create({
    data: {
      requesterId: requester.id,
      resourceId: found.resourceId,
      policyId,
      permissions: found.permissions,
      justification: "Investigating an incident",
      durationMinutes: 30,
      decideBy: new Date(Date.now() + 3_600_000),
      status,
    },
  });
};

describe("catalog export and import", () => {
  it("exports deterministically, and importing the export changes nothing (demo data, YAML and JSON)", async () => {
    const actor = await admin();
    const demoKeys = new Set(DEMO_RESOURCES.map((entry) => entry.key));
    for (const format of ["yaml", "json"] as const) {
      const text = await exportCatalog({ actor, format });
      assert.equal(await exportCatalog({ actor, format }), text, "the same catalog gives the same text");
      // Other test files share this database: keep the demo resources only.
      const document = parse(text) as { version: number; resources: Array<{ key: string }> };
      const demo = { ...document, resources: document.resources.filter((entry) => demoKeys.has(entry.key)) };
      const expected = [...DEMO_RESOURCES]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map((entry) => ({
          ...entry,
          slackChannel: null,
          policies: [...entry.policies]
            .sort((a, b) => (a.name < b.name ? -1 : 1))
            .map((policy) => ({
              ...policy,
              stages: [],
              escalationGroups: [],
              escalationAfterMinutes: null,
              onBehalfOfAllowed: false,
            })),
          connectors: [],
        }));
      assert.deepEqual(demo.resources, expected);

      const source = format === "json" ? JSON.stringify(demo, null, 2) : stringify(demo);
      const before = await snapshot();
      const result = expectOk(
        await importCatalog({ actor, source, fileName: `access-catalog.${format}`, mode: "apply" }),
      );
      assert.equal(result.format, format);
      assert.equal(result.applied, false);
      assert.deepEqual(result.plan.resources, { create: 0, update: 0, delete: 0, unchanged: DEMO_RESOURCES.length });
      assert.deepEqual(result.plan.policies, {
        create: 0,
        update: 0,
        delete: 0,
        unchanged: DEMO_RESOURCES.reduce((sum, entry) => sum + entry.policies.length, 0),
      });
      assert.ok(result.plan.entries.every((entry) => entry.action === "unchanged"));
      assert.deepEqual(await snapshot(), before);
    }
  });

  it("reports every problem of an invalid document at once, with file and path, and changes nothing", async () => {
    const actor = await admin();
    const key = uniqueId("db");
    await createResource({
      actor,
      input: { key, name: "Orders DB", environment: "production", permissions: ["read", "write"] },
    });
    const source = yamlOf([
      resource(key, [policy("read")], { name: "Orders (renamed)" }),
      resource(uniqueId("db"), [
        policy("read"),
        policy("write", { permissions: ["write"], ticketRequired: true, ticketPattern: "^(INC-\\d+$" }),
      ]),
      resource(uniqueId("db"), [policy("read", { permissions: ["read", "drop"] })], { environment: "" }),
    ]);
    const before = await snapshot();
    const errors = expectErrors(await importCatalog({ actor, source, fileName: "catalog.yaml", mode: "apply" }));
    assert.deepEqual(
      errors.map((error) => [error.file, error.path]),
      [
        ["catalog.yaml", "resources[1].policies[1].ticketPattern"],
        ["catalog.yaml", "resources[2].environment"],
        ["catalog.yaml", "resources[2].policies[0].permissions[1]"],
      ],
    );
    assert.match(
      formatImportError(errors[0]!),
      /^catalog\.yaml: resources\[1\]\.policies\[1\]\.ticketPattern: is not a valid regular expression: /,
    );
    assert.equal(errors[1]?.message, "must not be empty");
    assert.match(errors[2]?.message ?? "", /"drop" is not a permission of resource/);
    assert.deepEqual(await snapshot(), before);
    assert.equal((await db.resource.findUniqueOrThrow({ where: { key } })).name, "Orders DB");
  });

  it("reports a YAML syntax error with its line, and changes nothing", async () => {
    const actor = await admin();
    const before = await snapshot();
    const source = `version: 1\nresources:\n  - key: ${uniqueId("db")}\n    name: "Orders\n`;
    const [error, ...rest] = expectErrors(
      await importCatalog({ actor, source, fileName: "broken.yml", mode: "apply" }),
    );
    assert.equal(rest.length, 0);
    assert.equal(error?.file, "broken.yml");
    assert.equal(error?.line, 5);
    assert.match(error?.message ?? "", /^YAML syntax error at line 5, column \d+: /);
    assert.deepEqual(await snapshot(), before);
  });

  it("dry-runs a plan without writing, then applies exactly it: upserts by key and name, deletes missing policies, leaves other resources alone", async () => {
    const actor = await admin();
    const [kept, changed, untouched, added] = [uniqueId("db"), uniqueId("db"), uniqueId("db"), uniqueId("db")];
    for (const key of [kept, changed, untouched]) {
      await createResource({
        actor,
        input: { key, name: "Orders DB", environment: "production", permissions: ["read", "write"] },
      });
      await createPolicy({ actor, resourceKey: key, input: policy("read") });
      await createPolicy({ actor, resourceKey: key, input: policy("write", { permissions: ["write"] }) });
    }
    const document = [
      resource(kept, [policy("read"), policy("write", { permissions: ["write"] })]),
      resource(changed, [policy("read", { approvalsRequired: 2 }), policy("admin", { permissions: ["admin"] })], {
        permissions: ["read", "write", "admin"],
        environment: "staging",
      }),
      resource(added, [policy("read")]),
    ];
    const source = JSON.stringify({ version: 1, resources: document });

    const before = await snapshot();
    const dryRun = expectOk(await importCatalog({ actor, source, fileName: "catalog.json", mode: "dry-run" }));
    assert.deepEqual(await snapshot(), before, "a dry run writes nothing");
    assert.equal(dryRun.applied, false);
    assert.deepEqual(dryRun.plan.resources, { create: 1, update: 1, delete: 0, unchanged: 1 });
    assert.deepEqual(dryRun.plan.policies, { create: 2, update: 1, delete: 1, unchanged: 2 });
    assert.ok(dryRun.plan.leftAlone.includes(untouched));
    assert.ok(!dryRun.plan.leftAlone.includes(kept));
    assert.deepEqual(
      dryRun.plan.entries
        .filter((entry) => entry.action !== "unchanged")
        .map((entry) => [entry.kind, entry.resourceKey, entry.policyName ?? null, entry.action]),
      [
        ["resource", changed, null, "update"],
        ["policy", changed, "read", "update"],
        ["policy", changed, "admin", "create"],
        ["policy", changed, "write", "delete"],
        ["resource", added, null, "create"],
        ["policy", added, "read", "create"],
      ],
    );
    assert.deepEqual(
      dryRun.plan.entries.find((entry) => entry.resourceKey === changed && entry.kind === "resource")?.changes,
      {
        environment: { before: "production", after: "staging" },
        permissions: { before: ["read", "write"], after: ["read", "write", "admin"] },
      },
    );
    assert.match(
      dryRun.message,
      /^Dry run, nothing written\. Resources: 1 created, 1 updated, 0 deleted, 1 unchanged\. Policies: 2 created, 1 updated, 1 deleted, 2 unchanged\. Left alone/,
    );

    const applied = expectOk(await importCatalog({ actor, source, fileName: "catalog.json", mode: "apply" }));
    assert.equal(applied.applied, true);
    assert.deepEqual(applied.plan.resources, dryRun.plan.resources);
    assert.deepEqual(applied.plan.policies, dryRun.plan.policies);

    const policiesOf = async (key: string) =>
      (await db.accessPolicy.findMany({ where: { resource: { key } }, orderBy: { name: "asc" } })).map((row) => [
        row.name,
        row.approvalsRequired,
      ]);
    assert.deepEqual(await policiesOf(changed), [
      ["admin", 1],
      ["read", 2],
    ]);
    assert.equal((await db.resource.findUniqueOrThrow({ where: { key: changed } })).environment, "staging");
    assert.deepEqual(await policiesOf(added), [["read", 1]]);
    assert.deepEqual(
      await policiesOf(untouched),
      [
        ["read", 1],
        ["write", 1],
      ],
      "resources missing from the document are left alone",
    );

    const events = await db.auditEvent.findMany({ where: { action: "catalog.import", actorId: actor.userId } });
    assert.equal(events.length, 1);
    const details = events[0]?.details as {
      fileName: string;
      resources: unknown;
      policies: unknown;
      changes: unknown[];
    };
    assert.equal(details.fileName, "catalog.json");
    assert.deepEqual(details.resources, { create: 1, update: 1, delete: 0, unchanged: 1 });
    assert.equal(details.changes.length, 6);

    // Applying the same document again changes nothing and records nothing.
    const again = expectOk(await importCatalog({ actor, source, fileName: "catalog.json", mode: "apply" }));
    assert.equal(again.applied, false);
    assert.equal(
      again.plan.entries.every((entry) => entry.action === "unchanged"),
      true,
    );
    assert.equal(await db.auditEvent.count({ where: { action: "catalog.import", actorId: actor.userId } }), 1);
  });

  it("refuses the whole import when it would delete policies that requests refer to, listing each", async () => {
    const actor = await admin();
    const key = uniqueId("db");
    await createResource({
      actor,
      input: { key, name: "Orders DB", environment: "production", permissions: ["read", "write"] },
    });
    const pending = await createPolicy({ actor, resourceKey: key, input: policy("read") });
    const past = await createPolicy({ actor, resourceKey: key, input: policy("write", { permissions: ["write"] }) });
    await createPolicy({ actor, resourceKey: key, input: policy("spare") });
    await requestFor(pending.id, "PENDING");
    await requestFor(past.id, "APPROVED");
    const other = uniqueId("db");

    const before = await snapshot();
    const source = yamlOf([resource(other, [policy("read")]), resource(key, [])]);
    const errors = expectErrors(await importCatalog({ actor, source, fileName: "catalog.yaml", mode: "apply" }));
    assert.deepEqual(errors.map(formatImportError), [
      `catalog.yaml: resources[1].policies: policy "read" is missing, so it would be deleted, but it has 1 pending request(s); add it back or wait until they are decided`,
      `catalog.yaml: resources[1].policies: policy "write" is missing, so it would be deleted, but 1 past request(s) refer to it (kept for history); add it back`,
    ]);
    assert.deepEqual(await snapshot(), before, "nothing is written, not even the valid parts");
    assert.equal(await db.resource.count({ where: { key: other } }), 0);
  });

  it("refuses to change an archived resource, alongside the document's other problems", async () => {
    const actor = await admin();
    const key = uniqueId("db");
    await createResource({
      actor,
      input: { key, name: "Orders DB", environment: "production", permissions: ["read"] },
    });
    await archiveResource({ actor, key });
    const source = yamlOf([
      resource(uniqueId("db"), [policy("read", { approvalsRequired: 0 })]),
      resource(key, [policy("read")]),
    ]);
    const errors = expectErrors(await importCatalog({ actor, source, fileName: "catalog.yaml", mode: "dry-run" }));
    assert.deepEqual(
      errors.map((error) => error.path),
      ["resources[0].policies[0].approvalsRequired", "resources[1].key"],
    );
    assert.match(errors[1]?.message ?? "", /is archived; an import can't change it/);
  });
  it("round-trips a policy's usage rules (response and ceilings): the export re-imports unchanged, bad ones are refused with their path", async () => {
    const actor = await admin();
    const key = uniqueId("db");
    const watched = policy("read", { usageResponse: "revoke", usageCeilings: { rows_read: 50_000, bytes_out: 1e9 } });
    expectOk(
      await importCatalog({ actor, source: yamlOf([resource(key, [watched])]), fileName: "usage.yaml", mode: "apply" }),
    );
    const stored = await db.accessPolicy.findFirstOrThrow({ where: { resource: { key } } });
    assert.equal(stored.usageResponse, "revoke");
    assert.deepEqual(stored.usageCeilings, { rows_read: 50_000, bytes_out: 1e9 });
    const exported = parse(await exportCatalog({ actor, format: "yaml" })) as {
      version: 1;
      resources: Array<{ key: string; policies: Array<Record<string, unknown>> }>;
    };
    const own = exported.resources.filter((entry) => entry.key === key);
    assert.equal(own[0]?.policies[0]?.usageResponse, "revoke");
    assert.deepEqual(own[0]?.policies[0]?.usageCeilings, { rows_read: 50_000, bytes_out: 1e9 });
    // Keys in another order are the same ceilings: nothing to change.
    const reordered = {
      ...own[0],
      policies: [{ ...own[0]?.policies[0], usageCeilings: { bytes_out: 1e9, rows_read: 50_000 } }],
    };
    const again = expectOk(
      await importCatalog({
        actor,
        source: yamlOf([reordered as unknown as ReturnType<typeof resource>]),
        fileName: "usage.yaml",
        mode: "dry-run",
      }),
    );
    assert.ok(
      again.plan.entries.filter((entry) => entry.kind === "policy").every((entry) => entry.action === "unchanged"),
    );

    const errors = expectErrors(
      await importCatalog({
        actor,
        source: yamlOf([
          resource(key, [policy("read", { usageResponse: "shrug" as "alert", usageCeilings: { rows_read: -5 } })]),
        ]),
        fileName: "usage.yaml",
        mode: "apply",
      }),
    );
    assert.deepEqual(
      errors.map((error) => `${error.path}: ${error.message}`),
      [
        "resources[0].policies[0].usageResponse: must be one of alert, revoke, extra_approval",
        "resources[0].policies[0].usageCeilings.rows_read: must be above 0",
      ],
    );
    assert.equal((await db.accessPolicy.findFirstOrThrow({ where: { resource: { key } } })).usageResponse, "revoke");
  });
  it("imports and exports a policy's risk rules, and refuses rules that cannot work, with their path", async () => {
    const actor = await admin();
    const key = uniqueId("db");
    const risky = policy("read", { riskThreshold: 3, riskExtraApprovals: 1, riskBlocksAutoApproval: true });
    expectOk(
      await importCatalog({ actor, source: yamlOf([resource(key, [risky])]), fileName: "risk.yaml", mode: "apply" }),
    );
    const stored = await db.accessPolicy.findFirstOrThrow({ where: { resource: { key } } });
    assert.deepEqual([stored.riskThreshold, stored.riskExtraApprovals, stored.riskBlocksAutoApproval], [3, 1, true]);
    const exported = parse(await exportCatalog({ actor, format: "yaml" })) as {
      resources: Array<{ key: string; policies: Array<Record<string, unknown>> }>;
    };
    const policyOut = exported.resources.find((entry) => entry.key === key)?.policies[0];
    assert.deepEqual(
      [policyOut?.riskThreshold, policyOut?.riskExtraApprovals, policyOut?.riskBlocksAutoApproval],
      [3, 1, true],
    );

    const errors = expectErrors(
      await importCatalog({
        actor,
        source: yamlOf([
          resource(key, [
            policy("read", { riskThreshold: 3 }),
            policy("write", { permissions: ["write"], approvalsRequired: 9, riskThreshold: 2, riskExtraApprovals: 2 }),
          ]),
        ]),
        fileName: "risk.yaml",
        mode: "apply",
      }),
    );
    assert.deepEqual(
      errors.map((error) => `${error.path}: ${error.message}`),
      [
        "resources[0].policies[0].riskThreshold: has no effect unless riskExtraApprovals is above 0 or riskBlocksAutoApproval is true",
        "resources[0].policies[1].riskExtraApprovals: together with approvalsRequired (9) must be at most 10",
      ],
    );
    assert.equal((await db.accessPolicy.findFirstOrThrow({ where: { resource: { key } } })).riskThreshold, 3);
  });

  it("round-trips requests for a teammate (ADR 0057), off unless the document says so", async () => {
    const actor = await admin();
    const key = uniqueId("pager");
    const open = policy("read", { onBehalfOfAllowed: true });
    const closed = policy("write", {});
    expectOk(
      await importCatalog({
        actor,
        source: yamlOf([resource(key, [open, closed])]),
        fileName: "handover.yaml",
        mode: "apply",
      }),
    );
    const stored = await db.accessPolicy.findMany({ where: { resource: { key } }, orderBy: { name: "asc" } });
    assert.deepEqual(
      stored.map((row) => [row.name, row.onBehalfOfAllowed]),
      [
        ["read", true],
        ["write", false],
      ],
    );
    const exported = parse(await exportCatalog({ actor, format: "yaml" })) as {
      resources: Array<{ key: string; policies: Array<Record<string, unknown>> }>;
    };
    const policies = exported.resources.find((entry) => entry.key === key)?.policies ?? [];
    assert.deepEqual(
      policies.map((entry) => [entry.name, entry.onBehalfOfAllowed]),
      [
        ["read", true],
        ["write", false],
      ],
    );
  });

  it("round-trips a policy's stages and escalation, and refuses a chain that cannot work, with its path", async () => {
    const actor = await admin();
    const key = uniqueId("db");
    const stages = [
      { name: "Team lead", approverGroups: ["db-leads"], approvalsRequired: 1 },
      { name: "Security", approverGroups: ["security-reviewers", "db-owners"], approvalsRequired: 2 },
    ];
    const staged = policy("read", {
      approverGroups: ["db-leads", "security-reviewers", "db-owners"],
      stages,
      escalationGroups: ["on-call-leads"],
      escalationAfterMinutes: 45,
    });
    expectOk(
      await importCatalog({ actor, source: yamlOf([resource(key, [staged])]), fileName: "stages.yaml", mode: "apply" }),
    );
    const stored = await db.accessPolicy.findFirstOrThrow({ where: { resource: { key } } });
    assert.deepEqual(stored.stages, stages);
    assert.deepEqual(stored.escalationGroups, ["on-call-leads"]);
    assert.equal(stored.escalationAfterMinutes, 45);
    const exported = parse(await exportCatalog({ actor, format: "yaml" })) as {
      version: 1;
      resources: Array<{ key: string; policies: Array<Record<string, unknown>> }>;
    };
    const own = exported.resources.filter((entry) => entry.key === key);
    assert.deepEqual(own[0]?.policies[0]?.stages, stages);
    assert.equal(own[0]?.policies[0]?.escalationAfterMinutes, 45);
    const again = expectOk(
      await importCatalog({
        actor,
        source: yamlOf(own as unknown as Array<ReturnType<typeof resource>>),
        fileName: "stages.yaml",
        mode: "dry-run",
      }),
    );
    assert.ok(
      again.plan.entries.filter((entry) => entry.kind === "policy").every((entry) => entry.action === "unchanged"),
    );

    const errors = expectErrors(
      await importCatalog({
        actor,
        source: yamlOf([
          resource(key, [
            policy("read", {
              approverGroups: ["db-leads"],
              stages: [...stages, { name: "Team lead", approverGroups: ["x"], approvalsRequired: 0 }],
              escalationGroups: ["on-call-leads"],
            }),
          ]),
        ]),
        fileName: "stages.yaml",
        mode: "apply",
      }),
    );
    const messages = errors.map((error) => `${error.path}: ${error.message}`);
    assert.ok(
      messages.some((message) => message.startsWith("resources[0].policies[0].stages")),
      messages.join("\n"),
    );
    assert.ok(
      messages.includes("resources[0].policies[0].escalationAfterMinutes: is required when escalationGroups is set"),
      messages.join("\n"),
    );
    assert.deepEqual((await db.accessPolicy.findFirstOrThrow({ where: { resource: { key } } })).stages, stages);
  });
});
