import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { createActor, createActorWithPasskey, createResourceWithPolicy, uniqueId } from "../testing/fixtures";
import { getSetupProgress } from "./get-setup-progress";

after(disconnectDb);

describe("the administrator's first-run checklist", () => {
  it("is for administrators only", async () => {
    assert.equal(await getSetupProgress({ actor: await createActor({ groups: ["engineers"] }) }), null);
  });

  it("ticks a step only when what it asks for exists: own passkey, approvers with passkeys, live endpoints", async () => {
    const { actor: admin } = await createActorWithPasskey({ groups: ["portal-admins"] });
    const group = uniqueId("approvers");
    const { resource } = await createResourceWithPolicy({ approverGroups: [group] });
    const before = await getSetupProgress({ actor: admin });
    assert.equal(before?.catalog, true);
    assert.equal(before?.passkey, true);
    assert.equal((await getSetupProgress({ actor: await createActor({ groups: ["portal-admins"] }) }))?.passkey, false);

    // Approvers of a policy count once one of them has a passkey and is not deactivated.
    await db.webhookEndpoint.deleteMany({});
    await db.user.updateMany({ where: { passkeys: { some: {} } }, data: { deactivatedAt: new Date() } });
    await db.user.update({ where: { id: admin.userId }, data: { deactivatedAt: null } });
    assert.equal((await getSetupProgress({ actor: admin }))?.approvers, false);
    assert.equal((await getSetupProgress({ actor: admin }))?.provisioning, false);
    await createActorWithPasskey({ groups: [group] });
    assert.equal((await getSetupProgress({ actor: admin }))?.approvers, true);

    await db.webhookEndpoint.create({
      data: { resourceId: resource.id, url: "https://hooks.example.com/jit", secretEncrypted: "x", events: [] },
    });
    assert.equal((await getSetupProgress({ actor: admin }))?.provisioning, true);
  });
});
