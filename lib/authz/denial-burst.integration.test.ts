/**
 * A burst of denied attempts by one person alerts security once per window, not once per
 * denial; fewer denials alert nobody.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getConfig } from "../config";
import { db, disconnectDb } from "../db";
import { createActor, createUser } from "../testing/fixtures";
import { DENIAL_BURST_ALERT } from "./denial-burst";
import { recordDenial } from "./enforce";

after(disconnectDb);

describe("denied-attempt burst alert", () => {
  const { threshold, windowMs } = getConfig().denialBurst;
  let reviewerId = "";
  before(async () => {
    reviewerId = (await createUser({ groups: ["security-reviewers"] })).id;
  });

  const deny = async (actor: Awaited<ReturnType<typeof createActor>>, times: number) => {
    for (let i = 0; i < times; i += 1) await recordDenial({ actor, action: "admin.view" });
  };
  const alertsAbout = (userId: string) =>
    db.securityAlert.count({ where: { kind: DENIAL_BURST_ALERT, subject: userId } });
  const noticesAbout = (email: string) =>
    db.notification.count({ where: { userId: reviewerId, kind: DENIAL_BURST_ALERT, title: { contains: email } } });

  it("stays quiet below the threshold, alerts at it, and not again within the window", async () => {
    const actor = await createActor();
    await deny(actor, threshold - 1);
    assert.equal(await alertsAbout(actor.userId), 0);
    assert.equal(await noticesAbout(actor.email), 0);
    await deny(actor, 1);
    assert.equal(await alertsAbout(actor.userId), 1);
    assert.equal(await noticesAbout(actor.email), 1);
    assert.equal(await db.auditEvent.count({ where: { action: "security.alert", targetId: actor.userId } }), 1);
    await deny(actor, 5);
    assert.equal(await alertsAbout(actor.userId), 1, "once per window, not once per denial");
    assert.equal(await noticesAbout(actor.email), 1);
  });

  it("alerts again once the window has passed and the burst goes on", async () => {
    const actor = await createActor();
    await deny(actor, threshold);
    assert.equal(await alertsAbout(actor.userId), 1);
    // As if the window had passed since the alert (denials too old no longer count, recent ones do).
    await db.securityAlert.updateMany({
      where: { subject: actor.userId },
      data: { createdAt: new Date(Date.now() - windowMs - 1_000) },
    });
    await deny(actor, 1);
    assert.equal(await alertsAbout(actor.userId), 2);
  });

  it("concurrent denials raise exactly one alert", async () => {
    const actor = await createActor();
    await deny(actor, threshold - 3);
    await Promise.all(Array.from({ length: 6 }, () => recordDenial({ actor, action: "jobs.manage" })));
    assert.equal(await alertsAbout(actor.userId), 1);
    assert.equal(await noticesAbout(actor.email), 1);
  });
});
