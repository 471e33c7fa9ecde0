/**
 * Bundles on the administrators' page against real PostgreSQL: the same rules as the catalog
 * document, each change audited, nothing written for anyone but an administrator.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { createActor, createResourceWithPolicy, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import { exportCatalog } from "./index";
import { deleteBundle, listBundlesForAdmin, saveBundle } from "./manage-bundles";

after(disconnectDb);

describe("bundles managed by administrators", () => {
  let dbKey = "";
  let clusterKey = "";

  before(async () => {
    dbKey = (await createResourceWithPolicy({ permissions: ["read", "write"] })).resource.key;
    clusterKey = (await createResourceWithPolicy({ permissions: ["view"] })).resource.key;
  });

  const items = () => `${dbKey} all read\n${clusterKey} all view`;

  it("creates, edits and deletes a bundle, each with its audit event, and the catalog export agrees", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const name = uniqueId("Incident");
    const { id } = await saveBundle({ actor: admin, input: { name, description: "On call", items: items() } });
    const listed = (await listBundlesForAdmin(admin)).find((bundle) => bundle.id === id);
    assert.deepEqual(listed?.items, [
      { resource: dbKey, policy: "all", permission: "read" },
      { resource: clusterKey, policy: "all", permission: "view" },
    ]);

    await saveBundle({
      actor: admin,
      input: { id, name, description: "On call, read only", items: `${dbKey} all read` },
    });
    const exported = await exportCatalog({ actor: admin, format: "json" });
    const inDocument = (
      JSON.parse(exported) as { bundles: Array<{ name: string; description: string; items: unknown[] }> }
    ).bundles.find((bundle) => bundle.name === name);
    assert.deepEqual(inDocument, {
      name,
      description: "On call, read only",
      items: [{ resource: dbKey, permission: "read", policy: "all" }],
    });

    await deleteBundle({ actor: admin, id });
    assert.equal(await db.bundle.count({ where: { id } }), 0);
    const actions = (await db.auditEvent.findMany({ where: { targetId: id }, orderBy: { seq: "asc" } })).map(
      (event) => event.action,
    );
    assert.deepEqual(actions, ["bundle.create", "bundle.update", "bundle.delete"]);
    const update = await db.auditEvent.findFirstOrThrow({ where: { targetId: id, action: "bundle.update" } });
    assert.equal((update.details as { before: { items: unknown[] } }).before.items.length, 2, "what it was");
  });

  it("refuses everyone but administrators, and writes nothing", async () => {
    const bundlesBefore = await db.bundle.count();
    for (const groups of [["engineers"], ["db-approvers"], ["security-reviewers"]]) {
      const actor = await createActor({ groups });
      await assert.rejects(
        saveBundle({ actor, input: { name: uniqueId("x"), description: "", items: items() } }),
        appErrorWith("FORBIDDEN"),
      );
      await assert.rejects(
        deleteBundle({ actor, id: "01930000-0000-7000-8000-000000000001" }),
        appErrorWith("FORBIDDEN"),
      );
      await assert.rejects(listBundlesForAdmin(actor), appErrorWith("FORBIDDEN"));
    }
    assert.equal(await db.bundle.count(), bundlesBefore);
  });

  it("names the line of an item the catalog does not offer, and refuses a taken name", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const refusal = (fields: RegExp) => (error: unknown) => {
      appErrorWith("INVALID_INPUT")(error);
      assert.match(JSON.stringify((error as { fields: unknown }).fields), fields);
      return true;
    };
    const save = (lines: string, name = uniqueId("b")) =>
      saveBundle({ actor: admin, input: { name, description: "", items: lines } });
    await assert.rejects(
      save(`${dbKey} all read\nnope-resource all read`),
      refusal(/line 2: no live resource \\"nope-resource\\"/),
    );
    await assert.rejects(save(`${dbKey} other read`), refusal(/line 1: .* has no policy \\"other\\"/));
    await assert.rejects(save(`${dbKey} all admin`), refusal(/line 1: policy \\"all\\" .* does not offer \\"admin\\"/));
    await assert.rejects(save(`${dbKey} all read\n${dbKey} all read`), refusal(/line 2: .*already an item/));
    await assert.rejects(save(`${dbKey} read`), refusal(/line 1: write/));
    await assert.rejects(save(""), refusal(/items/));
    const name = uniqueId("Taken");
    await save(`${dbKey} all read`, name);
    await assert.rejects(save(`${clusterKey} all view`, name), appErrorWith("CONFLICT", /already exists/));
    await assert.rejects(
      saveBundle({
        actor: admin,
        input: {
          id: "01930000-0000-7000-8000-000000000001",
          name: uniqueId("c"),
          description: "",
          items: `${dbKey} all read`,
        },
      }),
      appErrorWith("NOT_FOUND"),
    );
  });
});
