/**
 * Bundles on the administrators' page against real PostgreSQL: the same rules as the catalog
 * document, each change audited, nothing written for anyone but an administrator, and the
 * requests already made from a bundle untouched by its edit or deletion.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requestBundle } from "../bundles";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, createResourceWithPolicy, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import { exportCatalog } from "./index";
import { deleteBundle, listBundlesForAdmin, saveBundle, type TBundleFormInput } from "./manage-bundles";

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

  it("refuses everyone but administrators: FORBIDDEN, the bundle as it was, each denial audited", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const name = uniqueId("Guarded");
    const { id } = await saveBundle({ actor: admin, input: { name, description: "", items: items() } });
    const snapshot = async () => ({
      bundles: await db.bundle.count(),
      guarded: await listBundlesForAdmin(admin).then((all) => all.find((bundle) => bundle.id === id)),
      events: await db.auditEvent.count({ where: { action: { startsWith: "bundle." } } }),
    });
    const before = await snapshot();
    for (const groups of [["engineers"], ["db-approvers"], ["security-reviewers"]]) {
      const actor = await createActor({ groups });
      const attempts = [
        () => saveBundle({ actor, input: { name: uniqueId("x"), description: "", items: items() } }),
        () => saveBundle({ actor, input: { id, name, description: "taken over", items: `${dbKey} all write` } }),
        () => deleteBundle({ actor, id }),
        () => listBundlesForAdmin(actor),
      ];
      for (const attempt of attempts) await assert.rejects(attempt(), appErrorWith("FORBIDDEN"));
      const denials = await db.auditEvent.findMany({ where: { action: "authz.denied", actorId: actor.userId } });
      assert.equal(denials.length, attempts.length);
      assert.ok(denials.every((event) => event.reason === "not allowed: catalog.manage"));
    }
    assert.deepEqual(await snapshot(), before);
  });

  it("keeps a bundle's submissions and their requests through an edit and a delete", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const engineer = await createActor({ groups: ["engineers"] });
    const name = uniqueId("Kept");
    const { id } = await saveBundle({ actor: admin, input: { name, description: "", items: items() } });
    const { submissionId } = await requestBundle({
      actor: engineer,
      input: { bundleId: id, durationMinutes: 30, justification: "INC-19: orders are stuck, need db and cluster" },
    });
    const submission = () =>
      db.bundleSubmission.findUniqueOrThrow({
        where: { id: submissionId },
        select: { bundleId: true, bundleName: true, requests: { select: { status: true }, orderBy: { id: "asc" } } },
      });
    const pending = [{ status: "PENDING" }, { status: "PENDING" }];

    await saveBundle({
      actor: admin,
      input: { id, name: `${name} v2`, description: "", items: `${clusterKey} all view` },
    });
    assert.deepEqual(await submission(), { bundleId: id, bundleName: name, requests: pending }, "after the edit");
    await deleteBundle({ actor: admin, id });
    assert.deepEqual(await submission(), { bundleId: null, bundleName: name, requests: pending }, "after the delete");
  });

  it("puts each refusal on the form's field it is about", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const fieldsOf = async (input: TBundleFormInput): Promise<Record<string, string>> => {
      const error = await saveBundle({ actor: admin, input }).then(
        () => assert.fail("saved"),
        (refusal: unknown) => refusal,
      );
      assert.ok(error instanceof AppError);
      return error.fields;
    };
    const eleven = Array.from({ length: 11 }, (_, at) => `${dbKey} all p${at}`).join("\n");
    assert.deepEqual(await fieldsOf({ name: "x".repeat(101), description: "", items: items() }), {
      name: "at most 100 characters",
    });
    assert.deepEqual(await fieldsOf({ name: uniqueId("d"), description: "x".repeat(501), items: items() }), {
      description: "at most 500 characters",
    });
    assert.deepEqual(await fieldsOf({ name: uniqueId("e"), description: "", items: eleven }), {
      items: "a bundle holds at most 10 items",
    });
    const taken = uniqueId("Taken");
    await saveBundle({ actor: admin, input: { name: taken, description: "", items: items() } });
    assert.deepEqual(await fieldsOf({ name: taken, description: "", items: items() }), {
      name: `A bundle named "${taken}" already exists.`,
    });
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
