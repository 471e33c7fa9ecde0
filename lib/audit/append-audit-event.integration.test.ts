import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { appendAuditEvent, recordAuditEvent } from "./append-audit-event";
import { GENESIS_HASH, hashEvent } from "./canonical";

after(disconnectDb);

const chain = () =>
  db.auditEvent.findMany({ orderBy: { seq: "asc" } }).then((rows) => rows.map((row) => ({ ...row, recomputed: hashEvent(row) })));

describe("audit events form one hash chain", () => {
  it("links each event to the previous one and hashes every field", async () => {
    await recordAuditEvent({ actorType: "SYSTEM", actorId: "test", action: "test.first", outcome: "ALLOWED", details: { b: 2, a: [1, { y: 1, x: 2 }] } });
    await recordAuditEvent({ actorType: "ANONYMOUS", action: "test.second", outcome: "DENIED", reason: "why" });
    const rows = await chain();
    for (const [index, row] of rows.entries()) {
      assert.equal(row.prevHash, index === 0 ? GENESIS_HASH : rows[index - 1]?.hash);
      assert.equal(row.recomputed, row.hash, `event ${row.seq} hash matches its content`);
    }
    const last = rows.at(-1);
    assert.ok(last);
    assert.notEqual(hashEvent({ ...last, reason: "edited" }), last.hash, "editing a field changes the hash");
  });

  it("does not fork under concurrent writers", async () => {
    const before = await db.auditEvent.count();
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        db.$transaction((tx) => appendAuditEvent(tx, { actorType: "SYSTEM", actorId: "writer", action: "test.concurrent", outcome: "ALLOWED", details: { index } })),
      ),
    );
    const rows = await chain();
    assert.equal(rows.length, before + 20);
    const prevHashes = new Set(rows.map((row) => row.prevHash));
    assert.equal(prevHashes.size, rows.length, "no two events share a predecessor");
    for (const [index, row] of rows.entries()) if (index > 0) assert.equal(row.prevHash, rows[index - 1]?.hash);
  });

  it("rolls back with the change it records", async () => {
    const before = await db.auditEvent.count();
    await assert.rejects(
      db.$transaction(async (tx) => {
        await appendAuditEvent(tx, { actorType: "SYSTEM", action: "test.rollback", outcome: "ALLOWED" });
        throw new Error("the change failed");
      }),
    );
    assert.equal(await db.auditEvent.count(), before);
  });

  it("rejects malformed events", async () => {
    await assert.rejects(recordAuditEvent({ actorType: "ROBOT" as never, action: "x", outcome: "ALLOWED" }));
    await assert.rejects(recordAuditEvent({ actorType: "SYSTEM", action: "", outcome: "ALLOWED" }));
  });
});
