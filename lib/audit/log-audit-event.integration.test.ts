import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { captureLog } from "../log";
import { appendAuditEvent, recordAuditEvent } from "./append-audit-event";

after(disconnectDb);

const capture = () => {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const restore = captureLog(stream);
  return { lines, restore };
};

describe("audit log lines (ECS JSON)", () => {
  it("writes one ECS line per committed event, with the request's fields", async () => {
    const { lines, restore } = capture();
    try {
      const { id } = await recordAuditEvent({
        actorType: "USER",
        actorId: "user-1",
        action: "test.log",
        outcome: "DENIED",
        reason: "not allowed",
        ip: "203.0.113.7",
        userAgent: "curl/8",
        requestId: "req-42",
        targetType: "grant",
        targetId: "g-1",
      });
      const mine = lines.filter((line) => (line.event as { id?: string } | undefined)?.id === id);
      assert.equal(mine.length, 1);
      const line = mine[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a parsed log line
      assert.equal(typeof line["@timestamp"], "string");
      assert.equal(line["log.level"], "info");
      assert.equal(line.message, "audit test.log denied");
      assert.equal(line.event.action, "test.log");
      assert.equal(line.event.outcome, "failure");
      assert.equal(line.event.reason, "not allowed");
      assert.equal(line.user.id, "user-1");
      assert.equal(line.source.ip, "203.0.113.7");
      assert.equal(line.user_agent.original, "curl/8");
      assert.equal(line.transaction.id, "req-42");
      const row = await db.auditEvent.findUniqueOrThrow({ where: { id } });
      assert.equal(line.event.sequence, Number(row.seq));
      assert.equal(line.jit.audit.hash, row.hash);
    } finally {
      restore();
    }
  });

  it("writes nothing for an event whose transaction rolled back, and only after commit", async () => {
    const { lines, restore } = capture();
    try {
      await assert.rejects(
        db.$transaction(async (tx) => {
          await appendAuditEvent(tx, { actorType: "SYSTEM", action: "test.log.rolled_back", outcome: "ALLOWED" });
          throw new Error("the change failed");
        }),
        /the change failed/,
      );
      let seenInside = -1;
      await db.$transaction(async (tx) => {
        await appendAuditEvent(tx, { actorType: "SYSTEM", action: "test.log.committed", outcome: "ALLOWED" });
        seenInside = lines.filter(
          (line) => (line.event as { action?: string } | undefined)?.action === "test.log.committed",
        ).length;
      });
      assert.equal(seenInside, 0, "nothing is logged before the commit");
      const actions = lines.map((line) => (line.event as { action?: string } | undefined)?.action);
      assert.equal(actions.filter((action) => action === "test.log.rolled_back").length, 0);
      assert.equal(actions.filter((action) => action === "test.log.committed").length, 1);
    } finally {
      restore();
    }
  });
});
