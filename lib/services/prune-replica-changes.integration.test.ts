/**
 * The change feed is pruned, and a replica out of step long enough to have missed pruned rows
 * rebuilds from the tables instead of trusting the feed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { redis } from "../redis";
import { createActor, uniqueId } from "../testing/fixtures";
import { pruneReplicaChanges, REPLICA_CHANGE_KEEP_MS } from "./prune-replica-changes";
import { GrantReplica } from "./replica";

let resourceId: string;
let resourceKey: string;

before(async () => {
  resourceKey = uniqueId("res");
  resourceId = (
    await db.resource.create({
      data: { key: resourceKey, name: resourceKey, environment: "production", permissions: ["read"] },
    })
  ).id;
});
after(async () => {
  await disconnectDb();
  redis().disconnect();
});

const head = async (): Promise<bigint | null> =>
  (await db.$queryRaw<Array<{ seq: bigint | null }>>`select max(seq) as seq from "ReplicaChange"`)[0]?.seq ?? null;

describe("pruneReplicaChanges", () => {
  it("deletes rows older than an hour, keeps newer ones, and never the feed's head", async () => {
    const now = new Date();
    const old = new Date(now.getTime() - REPLICA_CHANGE_KEEP_MS - 60_000);
    await db.replicaChange.deleteMany({});
    const rows = await db.replicaChange.createManyAndReturn({
      data: [
        { entity: "grant", entityId: "old-1", createdAt: old },
        { entity: "grant", entityId: "old-2", createdAt: old },
        { entity: "grant", entityId: "recent", createdAt: new Date(now.getTime() - 60_000) },
      ],
    });
    assert.deepEqual(await pruneReplicaChanges({ now }), { deleted: 2 });
    assert.deepEqual(
      (await db.replicaChange.findMany({ select: { entityId: true } })).map((row) => row.entityId),
      ["recent"],
    );

    // Everything old: the newest row stays, so max(seq) never goes back (a replica would take
    // that for a restored database and rebuild on every poll).
    const later = new Date(now.getTime() + 2 * REPLICA_CHANGE_KEEP_MS);
    assert.deepEqual(await pruneReplicaChanges({ now: later }), { deleted: 0 });
    assert.equal(await head(), rows[2]?.seq);
  });
});

describe("a replica after a long gap", () => {
  it("rebuilds instead of reading a feed whose rows it missed may be gone", async () => {
    const replica = new GrantReplica({ pollMs: 60_000, subscribe: false, registerLocal: false });
    await replica.start();
    try {
      const subject = await createActor();
      const grant = await db.grant.create({
        data: {
          subjectId: subject.userId,
          resourceId,
          permissions: ["read"],
          startsAt: new Date(Date.now() - 1_000),
          expiresAt: new Date(Date.now() + 3_600_000),
        },
      });
      // The grant's feed rows pruned away (as if it were written long ago).
      await db.replicaChange.deleteMany({ where: { entityId: grant.id } });

      // In step: the feed is trusted, and it no longer mentions the grant.
      await replica.sync();
      assert.equal(replica.check(subject.userId, resourceKey, "read").allowed, false);
      const rebuilds = replica.rebuilds;

      // Out of step for longer than half the retention: a rebuild, which finds the grant.
      replica.lastSyncStartedAt = Date.now() - REPLICA_CHANGE_KEEP_MS / 2 - 1_000;
      await replica.sync();
      assert.equal(replica.rebuilds, rebuilds + 1);
      assert.equal(replica.check(subject.userId, resourceKey, "read").allowed, true);
      assert.ok(Date.now() - replica.lastSyncStartedAt < 5_000);
    } finally {
      await replica.stop();
    }
  });
});
