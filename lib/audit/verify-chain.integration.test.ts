/**
 * The attacker has write access to PostgreSQL and edits, deletes or reorders audit rows
 * (even recomputing a row's hash); the verifier must notice each, and name the event.
 * The table refuses updates and deletes (append-only triggers), so the attacker here is a
 * superuser who turns triggers off for the session (`session_replication_role = replica`).
 * Every tampering runs inside a transaction that is rolled back, so the shared test
 * database keeps an intact chain for the other tests.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFile, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { ROOT } from "../cli/run";
import { getConfig } from "../config";
import { db, disconnectDb, type Prisma } from "../db";
import { dropDatabase, ensureDatabase } from "../db/ensure-database";
import { recordAuditEvent } from "./append-audit-event";
import { hashEvent } from "./canonical";
import { anchorSigner, parseAnchorKey } from "./anchors/anchor-key";
import { signAnchor } from "./anchors/anchor-record";
import { verifyAuditChain, type TChainVerification } from "./verify-chain";

after(disconnectDb);

const ROLLBACK = new Error("rollback");

/** Runs `tamper` then the verifier in one transaction, and rolls everything back. */
const tamperedVerification = async (
  tamper: (tx: Prisma.TransactionClient) => Promise<unknown>,
  options: { from?: Date; to?: Date; batchSize?: number; anchors?: Array<{ seq: bigint; hash: string }> } = {},
): Promise<TChainVerification> => {
  let verification: TChainVerification | undefined;
  await assert.rejects(
    db.$transaction(
      async (tx) => {
        await tx.$executeRaw`set local session_replication_role = replica`;
        await tamper(tx);
        verification = await verifyAuditChain({ ...options, client: tx });
        throw ROLLBACK;
      },
      { timeout: 60_000 },
    ),
    (error) => error === ROLLBACK,
  );
  assert.ok(verification);
  return verification;
};

const mine: Array<{ seq: bigint; id: string; hash: string; occurredAt: Date }> = [];

before(async () => {
  for (let index = 0; index < 6; index += 1) {
    await recordAuditEvent({
      actorType: "SYSTEM",
      actorId: "verify-test",
      action: `test.verify.${index}`,
      outcome: "ALLOWED",
      details: { index },
    });
  }
  const rows = await db.auditEvent.findMany({
    where: { actorId: "verify-test" },
    orderBy: { seq: "asc" },
    select: { seq: true, id: true, hash: true, occurredAt: true },
  });
  mine.push(...rows.slice(-6));
});

const at = (index: number) => {
  const row = mine[index];
  assert.ok(row);
  return row;
};

describe("the audit chain verifier", () => {
  it("passes an intact chain, in small batches too", async () => {
    const whole = await verifyAuditChain({});
    assert.equal(whole.ok, true, whole.break?.message);
    assert.ok(whole.checked >= 6);
    const batched = await verifyAuditChain({ batchSize: 2 });
    assert.equal(batched.ok, true);
    assert.equal(batched.checked, whole.checked);
    assert.equal(batched.headHash, whole.headHash);
  });

  it("catches an edited event and names it", async () => {
    const result = await tamperedVerification(
      (tx) => tx.$executeRaw`update "AuditEvent" set reason = 'nothing to see' where seq = ${at(2).seq}`,
      { batchSize: 2 },
    );
    assert.equal(result.ok, false);
    assert.equal(result.break?.problem, "content_edited");
    assert.equal(result.break?.seq, String(at(2).seq));
    assert.equal(result.break?.id, at(2).id);
  });

  it("catches an edit in the details JSON and in the time", async () => {
    const details = await tamperedVerification(
      (tx) => tx.$executeRaw`update "AuditEvent" set details = '{"index": 99}' where seq = ${at(1).seq}`,
    );
    assert.equal(details.break?.seq, String(at(1).seq));
    const time = await tamperedVerification(
      (tx) =>
        tx.$executeRaw`update "AuditEvent" set "occurredAt" = "occurredAt" - interval '1 day' where seq = ${at(1).seq}`,
    );
    assert.equal(time.break?.seq, String(at(1).seq));
  });

  it("catches an edited event whose hash the attacker recomputed: the link to the next one breaks", async () => {
    const result = await tamperedVerification(async (tx) => {
      const row = await tx.auditEvent.findUniqueOrThrow({ where: { seq: at(2).seq } });
      const forged = { ...row, reason: "rewritten", details: row.details };
      await tx.auditEvent.update({ where: { seq: row.seq }, data: { reason: forged.reason, hash: hashEvent(forged) } });
    });
    assert.equal(result.ok, false);
    assert.equal(result.break?.problem, "link_broken");
    assert.equal(result.break?.seq, String(at(3).seq));
    assert.equal(result.break?.previousSeq, String(at(2).seq), "names the rewritten event as the one before the break");
    assert.match(result.break?.message ?? "", new RegExp(`#${at(2).seq} was rewritten`));
  });

  it("catches a deleted event", async () => {
    const result = await tamperedVerification(
      (tx) => tx.$executeRaw`delete from "AuditEvent" where seq = ${at(3).seq}`,
      { batchSize: 3 },
    );
    assert.equal(result.ok, false);
    assert.equal(result.break?.problem, "link_broken");
    assert.equal(result.break?.seq, String(at(4).seq));
    assert.equal(result.break?.previousSeq, String(at(2).seq));
  });

  it("reports every break in the range, not only the first: tampering after a first break does not hide", async () => {
    const result = await tamperedVerification(
      async (tx) => {
        await tx.$executeRaw`update "AuditEvent" set reason = 'first' where seq = ${at(1).seq}`;
        await tx.$executeRaw`delete from "AuditEvent" where seq = ${at(3).seq}`;
        await tx.$executeRaw`update "AuditEvent" set details = '{"index": 55}' where seq = ${at(5).seq}`;
      },
      { batchSize: 2 },
    );
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.breaks.map((item) => [item.problem, item.seq]),
      [
        ["content_edited", String(at(1).seq)],
        ["link_broken", String(at(4).seq)],
        ["content_edited", String(at(5).seq)],
      ],
    );
    assert.equal(result.breakCount, 3);
    assert.deepEqual(result.break, result.breaks[0]);
  });

  it("catches two events swapped in order", async () => {
    const result = await tamperedVerification(async (tx) => {
      await tx.$executeRaw`update "AuditEvent" set seq = -1 where seq = ${at(3).seq}`;
      await tx.$executeRaw`update "AuditEvent" set seq = ${at(3).seq} where seq = ${at(4).seq}`;
      await tx.$executeRaw`update "AuditEvent" set seq = ${at(4).seq} where seq = -1`;
    });
    assert.equal(result.ok, false);
    assert.equal(result.break?.problem, "link_broken");
    assert.equal(result.break?.seq, String(at(3).seq));
    assert.equal(result.break?.id, at(4).id, "the event now standing at that place is the one moved there");
  });

  it("catches the deletion of the chain's first event", async () => {
    const [first] = await db.auditEvent.findMany({ orderBy: { seq: "asc" }, take: 2, select: { seq: true } });
    assert.ok(first);
    const result = await tamperedVerification(
      (tx) => tx.$executeRaw`delete from "AuditEvent" where seq = ${first.seq}`,
    );
    assert.equal(result.ok, false);
    assert.equal(result.break?.problem, "bad_genesis");
  });

  it("verifies a time range, anchored on the event before it", async () => {
    const from = at(3).occurredAt;
    const clean = await verifyAuditChain({ from });
    assert.equal(clean.ok, true);
    assert.equal(clean.firstSeq, String(at(3).seq));
    // Tampering before the range is not the range's business; inside it is caught.
    const outside = await tamperedVerification(
      (tx) => tx.$executeRaw`update "AuditEvent" set reason = 'x' where seq = ${at(1).seq}`,
      { from },
    );
    assert.equal(outside.ok, true);
    const inside = await tamperedVerification(
      (tx) => tx.$executeRaw`delete from "AuditEvent" where seq = ${at(2).seq}`,
      { from },
    );
    assert.equal(inside.ok, false, "the first event of the range no longer links to the one before it");
    assert.equal(inside.break?.seq, String(at(3).seq));
  });

  it("catches deleted newest events and a rewritten tail only against an anchor", async () => {
    const head = await db.auditEvent.findFirstOrThrow({ orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
    const truncate = (tx: Prisma.TransactionClient) => tx.$executeRaw`delete from "AuditEvent" where seq = ${head.seq}`;
    assert.equal((await tamperedVerification(truncate)).ok, true, "a chain alone cannot see its tail cut off");
    const anchored = await tamperedVerification(truncate, { anchors: [head] });
    assert.equal(anchored.ok, false);
    assert.equal(anchored.break?.problem, "tail_cut");
    assert.equal(anchored.break?.seq, String(head.seq));
  });
});

describe("npm run audit:verify", () => {
  const url = new URL(getConfig().databaseUrl);
  url.pathname = `/jit_verify_${randomBytes(4).toString("hex")}`;
  const scratch = url.toString();
  const scratchAnchors = path.join(tmpdir(), `jit-verify-anchors-${randomBytes(4).toString("hex")}.jsonl`);
  const run = (args: string[]) =>
    promisify(execFile)("node", ["--import", "tsx", "lib/cli/audit-verify.ts", ...args], {
      cwd: ROOT,
      // The scratch database's anchors are its own (none): not those of the test database.
      env: { ...process.env, DATABASE_URL: scratch, AUDIT_ANCHOR_SINK: `file:${scratchAnchors}` },
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );

  before(async () => {
    await ensureDatabase(scratch);
    await promisify(execFile)("npx", ["prisma", "migrate", "deploy"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: scratch },
    });
    const client = new pg.Client({ connectionString: scratch });
    await client.connect();
    try {
      // Copy a stretch of the real chain, from its beginning, into the scratch database.
      const source = new pg.Client({ connectionString: getConfig().databaseUrl });
      await source.connect();
      const { rows } = await source.query(`select * from "AuditEvent" order by seq limit 20`);
      await source.end();
      for (const row of rows) {
        const columns = Object.keys(row);
        await client.query(
          `insert into "AuditEvent" (${columns.map((c) => `"${c}"`).join(",")}) values (${columns.map((_, i) => `$${i + 1}`).join(",")})`,
          columns.map((c) => (c === "details" ? JSON.stringify(row[c]) : row[c])),
        );
      }
    } finally {
      await client.end();
    }
  });
  after(async () => {
    await dropDatabase(scratch);
    await rm(scratchAnchors, { force: true });
  });

  it("exits 0 on an intact chain and 1 naming the event after tampering", async () => {
    const intact = await run([]);
    assert.equal(intact.code, 0, intact.stdout);
    assert.match(intact.stdout, /audit chain intact/);
    const client = new pg.Client({ connectionString: scratch });
    await client.connect();
    const { rows } = await client.query<{ seq: string }>(`select seq from "AuditEvent" order by seq offset 4 limit 1`);
    await client.query(`set session_replication_role = replica`);
    await client.query(`update "AuditEvent" set action = 'auth.sign_out' where seq = $1`, [rows[0]?.seq]);
    await client.end();
    const broken = await run(["--json"]);
    assert.equal(broken.code, 1);
    const report = JSON.parse(broken.stdout) as TChainVerification;
    assert.equal(report.break?.seq, rows[0]?.seq);
    assert.equal((await run(["--from", "yesterday-ish"])).code, 2);
  });

  it("verifies against the signed anchors in the sink: a cut tail is named, and every break is listed", async () => {
    const client = new pg.Client({ connectionString: scratch });
    await client.connect();
    try {
      const { rows } = await client.query<{ seq: string; hash: string }>(
        `select seq::text, hash from "AuditEvent" order by "AuditEvent".seq desc limit 1`,
      );
      const head = rows[0]!;
      // What the audit.anchor job writes, with the key this environment runs with.
      const anchor = signAnchor(anchorSigner(parseAnchorKey(getConfig().auditAnchor.key!)), {
        seq: BigInt(head.seq),
        hash: head.hash,
        anchoredAt: new Date(),
      });
      await appendFile(scratchAnchors, `${JSON.stringify(anchor)}\n`);
      const before = await run([]);
      assert.match(before.stdout, /anchors: 1 from file:/);
      assert.match(before.stdout, /1 of 1 in range matched/);

      await client.query(`set session_replication_role = replica`);
      await client.query(`delete from "AuditEvent" where seq = $1::bigint`, [head.seq]);
    } finally {
      await client.end();
    }
    const cut = await run([]);
    assert.equal(cut.code, 1);
    assert.match(cut.stdout, /audit chain BROKEN: 2 break\(s\)/);
    assert.match(cut.stdout, /content_edited/, "the earlier edit is still listed");
    assert.match(cut.stdout, /tail_cut: the tail was cut/);
    const report = JSON.parse((await run(["--json"])).stdout) as TChainVerification;
    assert.deepEqual(
      report.breaks.map((item) => item.problem),
      ["content_edited", "tail_cut"],
    );
  });
});
