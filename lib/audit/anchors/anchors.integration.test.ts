/**
 * Signed anchors against an attacker who owns the database (ADR 0028): a superuser who turns
 * the append-only triggers off, cuts the chain's tail and rewrites an event with every hash
 * after it recomputed, so the chain alone still verifies. The anchors (signed with a key the
 * database never held, kept in a sink outside it) name the rewritten range and the cut.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { appendFile, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { db, disconnectDb, type Prisma } from "../../db";
import { captureLog } from "../../log";
import { recordAuditEvent } from "../append-audit-event";
import { hashEvent, type TStoredAuditEvent } from "../canonical";
import { verifyAuditChain } from "../verify-chain";
import { anchorChainHead } from "./anchor-chain-head";
import { anchorSigner, DEV_AUDIT_ANCHOR_KEY, parseAnchorKey } from "./anchor-key";
import { signAnchor } from "./anchor-record";
import type { TAnchorSink } from "./anchor-sink";
import { loadAnchors } from "./load-anchors";
import { verifyAgainstAnchors } from "./verify-against-anchors";

const KEY = randomBytes(32).toString("base64");
const sinkFile = path.join(tmpdir(), `jit-anchors-${randomBytes(4).toString("hex")}.jsonl`);
const sink: TAnchorSink = { kind: "file", path: sinkFile };

after(async () => {
  await rm(sinkFile, { force: true });
  await disconnectDb();
});

const ROLLBACK = new Error("rollback");
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

const record = async (tag: string) => {
  const { id } = await recordAuditEvent({ actorType: "SYSTEM", action: `test.anchor.${tag}`, outcome: "ALLOWED" });
  return (await db.auditEvent.findUniqueOrThrow({ where: { id }, select: { seq: true } })).seq;
};

describe("signed audit anchors", () => {
  const heads: bigint[] = [];
  let rewritten = 0n;
  let keptUpTo = 0n;

  before(async () => {
    await record("a");
    heads.push(BigInt((await anchorChainHead({ key: KEY, sink }))!.seq));
    rewritten = await record("b");
    await record("c");
    heads.push(BigInt((await anchorChainHead({ key: KEY, sink }))!.seq));
    keptUpTo = await record("d");
    await record("e");
    heads.push(BigInt((await anchorChainHead({ key: KEY, sink }))!.seq));
  });

  it("writes each anchor to the sink, signed, and to the log stream", async () => {
    const lines = (await readFile(sinkFile, "utf8")).trim().split("\n");
    assert.equal(lines.length, 3);
    const loaded = await loadAnchors({ key: KEY, sink });
    assert.equal(loaded.error, null);
    assert.deepEqual(
      loaded.anchors.map((anchor) => anchor.seq),
      heads,
    );
    assert.equal(loaded.latest?.seq, String(heads[2]));

    const logged: string[] = [];
    const restore = captureLog(
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          logged.push(chunk.toString("utf8"));
          done();
        },
      }),
    );
    try {
      const anchor = await anchorChainHead({ key: KEY, sink: { kind: "file", path: `${sinkFile}.log-test` } });
      const line = logged
        .map((text) => JSON.parse(text) as { event?: { action?: string }; jit?: { audit?: { anchor?: unknown } } })
        .find((entry) => entry.event?.action === "audit.anchor");
      assert.deepEqual(line?.jit?.audit?.anchor, anchor);
    } finally {
      restore();
      await rm(`${sinkFile}.log-test`, { force: true });
    }
  });

  it("names the cut tail and the rewritten range after a superuser cut the tail and recomputed every hash", async () => {
    const outcome = await rolledBack(async (tx) => {
      // The attacker: holds the chain's lock (no append interleaves), triggers off.
      await tx.$executeRaw`select pg_advisory_xact_lock(7311001)`;
      await tx.$executeRaw`set local session_replication_role = replica`;
      await tx.$executeRaw`delete from "AuditEvent" where seq > ${keptUpTo}`;
      const rows = await tx.$queryRaw<TStoredAuditEvent[]>`
        select seq, id, "occurredAt", "actorType"::text as "actorType", "actorId", action, "targetType", "targetId",
               outcome::text as outcome, reason, ip, "userAgent", "requestId", details, "prevHash", hash
        from "AuditEvent" where seq >= ${rewritten} order by seq`;
      let prevHash = rows[0]!.prevHash;
      for (const row of rows) {
        const forged = { ...row, prevHash, reason: row.seq === rewritten ? "nothing happened here" : row.reason };
        const hash = hashEvent(forged);
        await tx.$executeRaw`update "AuditEvent" set reason = ${forged.reason}, "prevHash" = ${prevHash}, hash = ${hash}
                             where seq = ${row.seq}`;
        prevHash = hash;
      }
      const alone = await verifyAuditChain({ client: tx });
      const anchored = await verifyAgainstAnchors({ client: tx, key: KEY, sink });
      return { alone, anchored };
    });

    assert.equal(outcome.alone.ok, true, "the chain alone cannot see it: that is what anchors are for");
    const { anchored } = outcome;
    assert.equal(anchored.ok, false);
    assert.deepEqual(
      anchored.breaks.map((item) => [item.problem, item.fromSeq, item.toSeq]),
      [
        ["anchor_mismatch", String(heads[0]! + 1n), String(heads[1])],
        ["tail_cut", String(keptUpTo + 1n), String(heads[2])],
      ],
    );
    assert.match(anchored.breaks[0]!.message, new RegExp(`events #${heads[0]! + 1n} to #${heads[1]} were rewritten`));
    assert.match(anchored.breaks[0]!.message, new RegExp(`event #${heads[0]} still matches its anchor`));
    assert.match(anchored.breaks[1]!.message, /the tail was cut/);
    assert.match(anchored.breaks[1]!.message, new RegExp(`events #${keptUpTo + 1n} to #${heads[2]} at least are gone`));
    assert.equal(anchored.anchors.matched, 1);
  });

  it("names events deleted from the middle even when the links were recomputed", async () => {
    const outcome = await rolledBack(async (tx) => {
      await tx.$executeRaw`select pg_advisory_xact_lock(7311001)`;
      await tx.$executeRaw`set local session_replication_role = replica`;
      await tx.$executeRaw`delete from "AuditEvent" where seq = ${heads[1]}`;
      const [next] = await tx.$queryRaw<TStoredAuditEvent[]>`
        select seq, id, "occurredAt", "actorType"::text as "actorType", "actorId", action, "targetType", "targetId",
               outcome::text as outcome, reason, ip, "userAgent", "requestId", details, "prevHash", hash
        from "AuditEvent" where seq > ${heads[1]} order by seq limit 1`;
      const [before] = await tx.$queryRaw<Array<{ hash: string }>>`
        select hash from "AuditEvent" where seq < ${heads[1]} order by seq desc limit 1`;
      // Relink the next event (and so on: here only the break that remains matters).
      await tx.$executeRaw`update "AuditEvent" set "prevHash" = ${before!.hash},
        hash = ${hashEvent({ ...next!, prevHash: before!.hash })} where seq = ${next!.seq}`;
      return verifyAgainstAnchors({ client: tx, key: KEY, sink });
    });
    assert.equal(outcome.ok, false);
    const deleted = outcome.breaks.find((item) => item.problem === "events_deleted");
    assert.equal(deleted?.seq, String(heads[1]));
    assert.match(deleted?.message ?? "", new RegExp(`event #${heads[1]} was anchored`));
  });

  it("refuses forged anchor lines and anchors of another key, and does not use them", async () => {
    const forgedSink: TAnchorSink = { kind: "file", path: `${sinkFile}.forged` };
    try {
      const head = await db.auditEvent.findFirstOrThrow({
        orderBy: { seq: "desc" },
        select: { seq: true, hash: true },
      });
      const genuine = signAnchor(anchorSigner(parseAnchorKey(KEY)), { ...head, anchoredAt: new Date() });
      // Whoever can write the sink but not sign: a made-up head, an edited hash, a foreign key.
      const other = generateKeyPairSync("ed25519").privateKey;
      const foreign = signAnchor(anchorSigner(other), {
        seq: head.seq + 100n,
        hash: "f".repeat(64),
        anchoredAt: new Date(),
      });
      const lines = [
        JSON.stringify(genuine),
        JSON.stringify({ ...genuine, seq: String(head.seq + 100n) }),
        JSON.stringify({ ...genuine, hash: "0".repeat(64) }),
        JSON.stringify(foreign),
        "not json",
      ];
      await appendFile(forgedSink.path, `${lines.join("\n")}\n`);
      const loaded = await loadAnchors({ key: KEY, sink: forgedSink });
      assert.deepEqual(
        loaded.anchors.map((anchor) => anchor.seq),
        [head.seq],
      );
      assert.deepEqual(
        loaded.rejected.map((item) => item.reason),
        ["bad signature", "bad signature", `signed by another key (${foreign.keyId})`, "not JSON"],
      );
      const result = await verifyAgainstAnchors({ key: KEY, sink: forgedSink, from: new Date(Date.now() - 60_000) });
      assert.equal(result.anchoring.rejected.length, 4);
      assert.ok(!result.breaks.some((item) => item.problem === "tail_cut"), "a forged anchor is not evidence");
    } finally {
      await rm(forgedSink.path, { force: true });
    }
  });

  it("accepts a PEM key as well as a base64 seed, and refuses anything else", () => {
    const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    assert.equal(anchorSigner(parseAnchorKey(pem)).keyId.length, 16);
    assert.notEqual(anchorSigner(parseAnchorKey(KEY)).keyId, anchorSigner(parseAnchorKey(DEV_AUDIT_ANCHOR_KEY)).keyId);
    assert.throws(() => parseAnchorKey("too short"), { name: "AnchorKeyError" });
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" });
    assert.throws(() => parseAnchorKey(rsa.toString()), { name: "AnchorKeyError", message: /Ed25519/ });
  });
});

describe("an HTTPS anchor sink (a real HTTP receiver on loopback)", () => {
  const stored: string[] = [];
  const token = randomBytes(16).toString("hex");
  let server: Server | undefined;
  let url = "";
  before(async () => {
    server = createServer((request, response) => {
      if (request.headers.authorization !== `Bearer ${token}`) {
        response.writeHead(401).end();
        return;
      }
      if (request.method === "POST") {
        let body = "";
        request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
        request.on("end", () => {
          stored.push(body);
          response.writeHead(201).end();
        });
        return;
      }
      response.writeHead(200, { "content-type": "application/x-ndjson" }).end(`${stored.join("\n")}\n`);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/anchors?bucket=jit`;
  });
  after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it("POSTs each anchor with the token and reads them back for the check; a refused read fails the check", async () => {
    const httpsSink: TAnchorSink = { kind: "https", url };
    await record("https");
    const anchor = await anchorChainHead({ key: KEY, sink: httpsSink, sinkToken: token });
    assert.equal(stored.length, 1);
    assert.deepEqual(JSON.parse(stored[0]!), anchor);
    const result = await verifyAgainstAnchors({
      key: KEY,
      sink: httpsSink,
      sinkToken: token,
      from: new Date(Date.now() - 60_000),
    });
    assert.equal(result.anchoring.error, null);
    assert.equal(result.anchoring.latest?.seq, anchor?.seq);
    assert.equal(result.anchors.matched, 1);

    await assert.rejects(anchorChainHead({ key: KEY, sink: httpsSink, sinkToken: "wrong" }), {
      name: "AnchorSinkError",
      message: /answered 401/,
    });
    const refused = await verifyAgainstAnchors({ key: KEY, sink: httpsSink, sinkToken: "wrong", from: new Date() });
    assert.equal(refused.ok, false, "no anchors, no verdict on the tail");
    assert.match(refused.anchoring.error ?? "", /answered 401/);
    assert.doesNotMatch(refused.anchoring.error ?? "", /bucket=jit/, "the sink's query string stays out of messages");
  });
});
