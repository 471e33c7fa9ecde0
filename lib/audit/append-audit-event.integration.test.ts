import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { appendAuditEvent, appendAuditEvents, recordAuditEvent } from "./append-audit-event";
import { GENESIS_HASH, hashEvent } from "./canonical";
import { zodIssueAt } from "../testing/matchers";

after(disconnectDb);

const chain = () =>
  db.auditEvent
    .findMany({ orderBy: { seq: "asc" } })
    .then((rows) => rows.map((row) => ({ ...row, recomputed: hashEvent(row) })));

describe("audit events form one hash chain", () => {
  it("links each event to the previous one and hashes every field", async () => {
    await recordAuditEvent({
      actorType: "SYSTEM",
      actorId: "test",
      action: "test.first",
      outcome: "ALLOWED",
      details: { b: 2, a: [1, { y: 1, x: 2 }] },
    });
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
        db.$transaction((tx) =>
          appendAuditEvent(tx, {
            actorType: "SYSTEM",
            actorId: "writer",
            action: "test.concurrent",
            outcome: "ALLOWED",
            details: { index },
          }),
        ),
      ),
    );
    const rows = await chain();
    assert.equal(rows.length, before + 20);
    const prevHashes = new Set(rows.map((row) => row.prevHash));
    assert.equal(prevHashes.size, rows.length, "no two events share a predecessor");
    for (const [index, row] of rows.entries()) if (index > 0) assert.equal(row.prevHash, rows[index - 1]?.hash);
  });

  it("appends a batch in order, chained event to event, interleaved safely with single writers", async () => {
    const before = await db.auditEvent.count();
    await Promise.all([
      ...Array.from({ length: 5 }, (_, batch) =>
        db.$transaction((tx) =>
          appendAuditEvents(
            tx,
            Array.from({ length: 10 }, (_, index) => ({
              actorType: "SYSTEM" as const,
              actorId: "batch",
              action: "test.batch",
              outcome: "ALLOWED" as const,
              details: { batch, index },
            })),
          ),
        ),
      ),
      ...Array.from({ length: 5 }, (_, index) =>
        recordAuditEvent({
          actorType: "SYSTEM",
          actorId: "single",
          action: "test.single",
          outcome: "ALLOWED",
          details: { index },
        }),
      ),
    ]);
    const rows = await chain();
    assert.equal(rows.length, before + 55);
    for (const [index, row] of rows.entries()) {
      if (index > 0)
        assert.equal(row.prevHash, rows[index - 1]?.hash, `event ${row.seq} follows ${rows[index - 1]?.seq}`);
      assert.equal(row.recomputed, row.hash);
    }
    // Each batch is contiguous and in its own order.
    const batches = rows
      .filter((row) => row.action === "test.batch")
      .map((row) => row.details as { batch: number; index: number });
    for (let at = 0; at < batches.length; at += 10) {
      assert.deepEqual(
        batches.slice(at, at + 10).map((entry) => entry.index),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      assert.equal(new Set(batches.slice(at, at + 10).map((entry) => entry.batch)).size, 1);
    }
  });

  it("keeps a transaction's events together and in order while others write", async () => {
    const before = await db.auditEvent.count();
    // Each transaction records three events, with a pause between, while nine others do the
    // same: each one's three are written together, in order, when it closes.
    await Promise.all(
      Array.from({ length: 10 }, (_, writer) =>
        db.$transaction(async (tx) => {
          for (const step of [0, 1, 2]) {
            await appendAuditEvent(tx, {
              actorType: "SYSTEM",
              actorId: `writer-${writer}`,
              action: "test.steps",
              outcome: "ALLOWED",
              details: { writer, step },
            });
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }),
      ),
    );
    // The process's own client (no transaction) writes at once, taking the lock each time.
    await appendAuditEvent(db, { actorType: "SYSTEM", action: "test.no-transaction", outcome: "ALLOWED" });
    await appendAuditEvent(db, { actorType: "SYSTEM", action: "test.no-transaction", outcome: "ALLOWED" });
    const rows = await chain();
    assert.equal(rows.length, before + 32);
    for (const [index, row] of rows.entries()) {
      if (index > 0) assert.equal(row.prevHash, rows[index - 1]?.hash, `event ${row.seq} follows its predecessor`);
      assert.equal(row.recomputed, row.hash);
    }
    // A writer's three events are consecutive: nobody wrote between them.
    const steps = rows.filter((row) => row.action === "test.steps").map((row) => row.actorId);
    for (let at = 0; at < steps.length; at += 3) assert.equal(new Set(steps.slice(at, at + 3)).size, 1);
  });

  it("takes the chain's lock only when the transaction closes, and keeps what was recorded as it was", async () => {
    const before = await db.auditEvent.count();
    // Whether another writer could take the chain's lock now (from a transaction of its own).
    const lockFree = () =>
      db.$transaction(async (other) => {
        const [row] = await other.$queryRaw<
          Array<{ free: boolean }>
        >`select pg_try_advisory_xact_lock(7311001) as free`;
        return row?.free ?? false;
      });
    const details: Record<string, unknown> = { step: "recorded" };
    let freeWhileOpen: boolean | undefined;
    await db.$transaction(async (tx) => {
      await appendAuditEvent(tx, { actorType: "SYSTEM", action: "test.closing", outcome: "ALLOWED", details });
      await appendAuditEvent(tx, { actorType: "SYSTEM", action: "test.closing.second", outcome: "ALLOWED" });
      details.step = "changed after";
      freeWhileOpen = await lockFree();
      assert.equal(await tx.auditEvent.count(), before, "not written before the transaction closes");
    });
    assert.equal(freeWhileOpen, true, "the lock is free while the transaction does its other work");
    const rows = await chain();
    assert.deepEqual(
      rows.slice(-2).map((row) => [row.action, row.details]),
      [
        ["test.closing", { step: "recorded" }],
        ["test.closing.second", {}],
      ],
    );
    for (const [index, row] of rows.entries()) {
      if (index > 0) assert.equal(row.prevHash, rows[index - 1]?.hash);
      assert.equal(row.recomputed, row.hash);
    }
  });

  it("rolls back with the change it records", async () => {
    const before = await db.auditEvent.count();
    await assert.rejects(
      db.$transaction(async (tx) => {
        await appendAuditEvent(tx, { actorType: "SYSTEM", action: "test.rollback", outcome: "ALLOWED" });
        throw new Error("the change failed");
      }),
      /the change failed/,
    );
    assert.equal(await db.auditEvent.count(), before);
  });

  it("rejects malformed events", async () => {
    const before = await db.auditEvent.count();
    await assert.rejects(
      recordAuditEvent({ actorType: "ROBOT" as never, action: "x", outcome: "ALLOWED" }),
      zodIssueAt("actorType"),
    );
    await assert.rejects(
      recordAuditEvent({ actorType: "SYSTEM", action: "", outcome: "ALLOWED" }),
      zodIssueAt("action"),
    );
    assert.equal(await db.auditEvent.count(), before);
  });
});
