/**
 * The audit table is append-only for the application (ADR 0028): with the application's own
 * connection, every way to change or remove an event is refused by the database itself, and
 * the retention procedure deletes only the chain's beginning, only as the retention role,
 * leaving a record the verifier accepts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { db, disconnectDb, type Prisma } from "../db";
import { recordAuditEvent } from "./append-audit-event";
import { verifyAuditChain } from "./verify-chain";

after(disconnectDb);

const appendOnly = (error: unknown) => error instanceof Error && /"AuditEvent" is append-only/.test(error.message);
const retentionAppendOnly = (error: unknown) =>
  error instanceof Error && /"AuditRetention" is append-only/.test(error.message);

const ROLLBACK = new Error("rollback");
/** Runs `work` in a transaction that is always rolled back: the shared chain stays as it was. */
const rolledBack = async <T>(work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> => {
  let result: T | undefined;
  await assert.rejects(
    db.$transaction(
      async (tx) => {
        result = await work(tx);
        throw ROLLBACK;
      },
      { timeout: 60_000 },
    ),
    (error) => error === ROLLBACK,
  );
  return result as T;
};

describe("the audit table, from the application's connection", () => {
  let seq = 0n;
  before(async () => {
    const { id } = await recordAuditEvent({ actorType: "SYSTEM", action: "test.append_only", outcome: "ALLOWED" });
    seq = (await db.auditEvent.findUniqueOrThrow({ where: { id }, select: { seq: true } })).seq;
  });

  it("refuses UPDATE, through Prisma and raw SQL", async () => {
    await assert.rejects(db.auditEvent.update({ where: { seq }, data: { reason: "rewritten" } }), appendOnly);
    await assert.rejects(db.auditEvent.updateMany({ data: { reason: "rewritten" } }), appendOnly);
    await assert.rejects(db.$executeRaw`update "AuditEvent" set hash = 'x' where seq = ${seq}`, appendOnly);
  });

  it("refuses DELETE, one event or all", async () => {
    await assert.rejects(db.auditEvent.delete({ where: { seq } }), appendOnly);
    await assert.rejects(db.auditEvent.deleteMany({ where: { seq: { gte: seq } } }), appendOnly);
    await assert.rejects(db.$executeRaw`delete from "AuditEvent" where seq >= ${seq}`, appendOnly);
  });

  it("refuses TRUNCATE", async () => {
    await assert.rejects(db.$executeRawUnsafe(`truncate "AuditEvent"`), appendOnly);
    await assert.rejects(db.$executeRawUnsafe(`truncate "AuditEvent", "AuditRetention"`), appendOnly);
  });

  it("refuses to write or change retention records, and to run the retention procedure", async () => {
    await assert.rejects(
      db.$executeRaw`insert into "AuditRetention" (cutoff, "throughSeq", "lastHash", deleted, "prunedBy")
                     values (now(), ${seq}, 'forged', 1, 'app')`,
      retentionAppendOnly,
    );
    await assert.rejects(db.$executeRawUnsafe(`truncate "AuditRetention"`), retentionAppendOnly);
    await assert.rejects(
      db.$queryRaw`select jit_audit_prune(now())`,
      (error: unknown) => error instanceof Error && /runs only as jit_audit_retention/.test(error.message),
    );
    // Setting the flag the procedure sets does not help another role.
    await assert.rejects(
      rolledBack(async (tx) => {
        await tx.$executeRaw`select set_config('jit.audit_prune', 'on', true)`;
        return tx.$executeRaw`delete from "AuditEvent" where seq = ${seq}`;
      }),
      appendOnly,
    );
    assert.equal(await db.auditEvent.count({ where: { seq } }), 1, "the event is still there");
  });
});

describe("the retention procedure", () => {
  before(async () => {
    // A cluster-wide role, as an operator creates it once (docs/security.md).
    await db.$executeRawUnsafe(`do $$ begin
        if not exists (select from pg_roles where rolname = 'jit_audit_retention') then
          create role jit_audit_retention nologin;
        end if;
      end $$`);
    await db.$executeRawUnsafe(`grant select, delete on "AuditEvent" to jit_audit_retention`);
    await db.$executeRawUnsafe(`grant select, insert on "AuditRetention" to jit_audit_retention`);
    await db.$executeRawUnsafe(`grant usage on sequence "AuditRetention_id_seq" to jit_audit_retention`);
    await db.$executeRawUnsafe(`grant execute on function jit_audit_prune(timestamptz) to jit_audit_retention`);
    for (let index = 0; index < 3; index += 1)
      await recordAuditEvent({ actorType: "SYSTEM", action: `test.retention.${index}`, outcome: "ALLOWED" });
  });

  it("deletes only the chain's beginning, records the cut, and the verifier accepts it", async () => {
    const [, second] = await db.auditEvent.findMany({ orderBy: { seq: "asc" }, take: 2, select: { seq: true } });
    const cutAfter = await db.auditEvent.findUniqueOrThrow({
      where: { seq: second!.seq },
      select: { occurredAt: true },
    });
    const outcome = await rolledBack(async (tx) => {
      await tx.$executeRawUnsafe(`set local role jit_audit_retention`);
      // Everything that occurred up to the second event's instant.
      const [{ removed } = { removed: -1n }] = await tx.$queryRaw<Array<{ removed: bigint }>>`
        select jit_audit_prune(${new Date(cutAfter.occurredAt.getTime() + 1)}::timestamptz) as removed`;
      // The role itself cannot delete around the procedure, nor change the record.
      const direct =
        await tx.$executeRaw`delete from "AuditEvent" where seq = (select max(seq) from "AuditEvent")`.then(
          () => "deleted",
          (error: Error) => error.message,
        );
      return { removed, direct };
    });
    assert.ok(outcome.removed >= 2n);
    assert.match(outcome.direct, /"AuditEvent" is append-only: DELETE refused/);

    const result = await rolledBack(async (tx) => {
      await tx.$executeRawUnsafe(`set local role jit_audit_retention`);
      const [{ removed } = { removed: -1n }] = await tx.$queryRaw<Array<{ removed: bigint }>>`
        select jit_audit_prune(${new Date(cutAfter.occurredAt.getTime() + 1)}::timestamptz) as removed`;
      await tx.$executeRawUnsafe(`reset role`);
      const [record] = await tx.$queryRaw<Array<{ throughSeq: bigint; prunedBy: string }>>`
        select "throughSeq", "prunedBy" from "AuditRetention" order by id desc limit 1`;
      const first = await tx.auditEvent.findFirstOrThrow({ orderBy: { seq: "asc" }, select: { seq: true } });
      const verification = await verifyAuditChain({ client: tx });
      const forgedBeginning = await (async () => {
        // Deleting one more event at the start, around the procedure, is still a break.
        await tx.$executeRaw`set local session_replication_role = replica`;
        await tx.$executeRaw`delete from "AuditEvent" where seq = ${first.seq}`;
        return verifyAuditChain({ client: tx });
      })();
      return { removed, record, first, verification, forgedBeginning };
    });
    assert.ok(result.removed >= 2n, `deleted ${result.removed}`);
    assert.ok(result.record && result.record.throughSeq >= second!.seq);
    assert.ok(result.first.seq > result.record.throughSeq, "only the beginning went");
    assert.equal(result.verification.ok, true, JSON.stringify(result.verification.breaks));
    assert.equal(result.verification.prunedThroughSeq, String(result.record.throughSeq));
    assert.equal(result.forgedBeginning.ok, false);
    assert.equal(result.forgedBeginning.break?.problem, "bad_genesis");
  });

  it("refuses an update of the table even to the retention role", async () => {
    await assert.rejects(
      rolledBack(async (tx) => {
        await tx.$executeRawUnsafe(`set local role jit_audit_retention`);
        return tx.$executeRaw`update "AuditEvent" set reason = 'x' where seq = (select min(seq) from "AuditEvent")`;
      }),
      (error: unknown) => error instanceof Error && /append-only|permission denied/.test(error.message),
    );
  });
});
