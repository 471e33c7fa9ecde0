/**
 * Bundles in the catalog document (ADR 0054): exported with their items by resource key,
 * permission and policy name; imported by name as a complete list when present, left alone
 * when absent; every item checked against the catalog the import leaves.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { db, disconnectDb } from "../db";
import { createActor, uniqueId } from "../testing/fixtures";
import { exportCatalog, importCatalog, type TImportResult } from "./index";

after(disconnectDb);

const admin = () => createActor({ groups: ["portal-admins"] });

const policy = (name: string, permissions: string[]) => ({
  name,
  permissions,
  requesterGroups: ["engineers"],
  approverGroups: ["db-approvers"],
  approvalsRequired: 1,
  defaultDurationMinutes: 30,
  maxDurationMinutes: 60,
});

const apply = async (document: unknown, mode: "apply" | "dry-run" = "apply"): Promise<TImportResult> =>
  importCatalog({ actor: await admin(), source: stringify(document), fileName: "catalog.yaml", mode });

describe("bundles in the catalog document", () => {
  const dbKey = uniqueId("orders");
  const k8sKey = uniqueId("cluster");
  const name = uniqueId("Incident responder");
  const resources = [
    {
      key: dbKey,
      name: "Orders",
      environment: "production",
      permissions: ["read", "write"],
      policies: [policy("read", ["read"])],
    },
    {
      key: k8sKey,
      name: "Cluster",
      environment: "production",
      permissions: ["view"],
      policies: [policy("view", ["view"])],
    },
  ];
  const bundle = {
    name,
    description: "For incidents",
    items: [
      { resource: dbKey, permission: "read", policy: "read" },
      { resource: k8sKey, permission: "view", policy: "view" },
    ],
  };

  it("creates a bundle from the document, exports it in the same form, and a second import changes nothing", async () => {
    const dry = await apply({ version: 1, resources, bundles: [bundle] }, "dry-run");
    assert.ok(dry.ok);
    assert.equal(await db.bundle.count({ where: { name } }), 0);
    const applied = await apply({ version: 1, resources, bundles: [bundle] });
    assert.ok(applied.ok && applied.applied, applied.message);
    assert.equal(applied.plan.bundles.create, 1);
    const stored = await db.bundle.findUniqueOrThrow({ where: { name }, include: { items: true } });
    assert.equal(stored.items.length, 2);
    const exported = parse(await exportCatalog({ actor: await admin(), format: "yaml" })) as {
      bundles: Array<typeof bundle>;
    };
    assert.deepEqual(
      exported.bundles.find((candidate) => candidate.name === name),
      bundle,
    );
    const again = await apply({ version: 1, resources, bundles: exported.bundles });
    assert.ok(again.ok);
    assert.equal(again.plan.bundles.unchanged, exported.bundles.length);
    assert.equal(again.plan.bundles.create + again.plan.bundles.update + again.plan.bundles.delete, 0);
  });

  it("refuses an item whose policy or permission the catalog won't have, naming its path, and writes nothing", async () => {
    const events = await db.auditEvent.count();
    const result = await apply({
      version: 1,
      resources,
      bundles: [
        {
          ...bundle,
          items: [
            { resource: dbKey, permission: "write", policy: "read" },
            { resource: k8sKey, permission: "view", policy: "admin" },
            { resource: uniqueId("nowhere"), permission: "read", policy: "read" },
          ],
        },
      ],
    });
    assert.equal(result.ok, false);
    assert.deepEqual(result.ok ? [] : result.errors.map((error) => error.path), [
      "bundles[0].items[0].permission",
      "bundles[0].items[1].policy",
      "bundles[0].items[2].resource",
    ]);
    assert.equal(await db.auditEvent.count(), events);
    assert.equal((await db.bundle.findUniqueOrThrow({ where: { name }, include: { items: true } })).items.length, 2);
  });

  it("without bundles in the document, refuses to delete a policy a bundle names; with them, deletes both together", async () => {
    const withoutView = [resources[0], { ...resources[1], policies: [policy("view-2", ["view"])] }];
    const refused = await apply({ version: 1, resources: withoutView });
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? "" : (refused.errors[0]?.message ?? ""), new RegExp(`bundle "${name}" names it`));
    const others = (await db.bundle.findMany({ where: { name: { not: name } }, select: { name: true } })).length;
    const exported = parse(await exportCatalog({ actor: await admin(), format: "yaml" })) as {
      bundles: Array<typeof bundle>;
    };
    const rest = exported.bundles.filter((candidate) => candidate.name !== name);
    const applied = await apply({ version: 1, resources: withoutView, bundles: rest });
    assert.ok(applied.ok && applied.applied, applied.message);
    assert.equal(applied.plan.bundles.delete, 1);
    assert.equal(await db.bundle.count({ where: { name } }), 0);
    assert.equal((await db.bundle.findMany({ where: { name: { not: name } } })).length, others);
    assert.equal(await db.accessPolicy.count({ where: { name: "view", resource: { key: k8sKey } } }), 0);
  });
});
