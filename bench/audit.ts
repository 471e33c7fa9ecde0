/**
 * `npm run bench:audit [-- --events N --grants N]`: the Security area at scale. Creates a
 * database of its own, migrates it, bulk-inserts N audit events (default 1,000,000) forming a
 * valid hash chain and a realistic grant history (default 100,000 grants with their requests
 * and approvals), then times:
 *   - a filtered grant-history page (first page, and a deep keyset page),
 *   - full-text search over justifications and a per-person filter,
 *   - full chain verification, and verification of one day.
 * Drops the database at the end. Numbers depend on the machine; see docs/bench-audit.md.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { dropDatabase, ensureDatabase } from "../lib/db/ensure-database";
import { slowFilters, summarizeTimings, type TTimings } from "./verdicts";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    grants: { type: "string", default: "100000" },
    keep: { type: "boolean", default: false },
    // Runs per history query: the cold first one, then warm ones for the median and p95.
    runs: { type: "string", default: "21" },
    // A filter whose cold run or warm p95 is over this is named as slow.
    "slow-ms": { type: "string", default: "100" },
  },
});
const RUNS = Math.max(2, Number(values.runs));
const SLOW_MS = Number(values["slow-ms"]);
const EVENTS = Number(values.events);
const GRANTS = Number(values.grants);

const base = new URL(
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
);
base.pathname = `/jit_bench_audit_${randomBytes(4).toString("hex")}`;
const DATABASE_URL = base.toString();
Object.assign(process.env, {
  NODE_ENV: "development",
  DATABASE_URL,
  LOG_LEVEL: "silent",
  REDIS_PREFIX: `jit-bench-${randomBytes(3).toString("hex")}`,
});

const { hashEvent, GENESIS_HASH } = await import("../lib/audit/canonical");

/** Time-ordered ids like UUIDv7 (what Prisma generates), from a millisecond timestamp. */
const uuid7 = (ms: number): string => {
  const hex = ms.toString(16).padStart(12, "0") + randomBytes(10).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

const WORDS = [
  "rotate",
  "credentials",
  "replica",
  "lag",
  "incident",
  "migration",
  "schema",
  "hotfix",
  "deploy",
  "rollback",
  "vacuum",
  "index",
  "backup",
  "restore",
  "audit",
  "billing",
  "orders",
  "payments",
  "latency",
  "outage",
  "certificate",
  "renewal",
  "queue",
  "backlog",
  "cleanup",
];
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

const timings: Array<{ label: string } & TTimings> = [];

/** `runs` timed runs: the first is cold (it warms the caches), the rest give the median and p95. */
const time = async <T>(
  label: string,
  work: () => Promise<T>,
  runs = RUNS,
): Promise<{ label: string; ms: number[]; median: number; result: T }> => {
  const ms: number[] = [];
  let result: T | undefined;
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    result = await work();
    ms.push(performance.now() - started);
  }
  const summary = summarizeTimings(ms);
  timings.push({ label, ...summary });
  console.log(
    `${label.padEnd(58)} cold ${summary.cold.toFixed(1)} ms  median ${summary.median.toFixed(1)} ms  p95 ${summary.p95.toFixed(1)} ms  (${runs} runs)`,
  );
  return { label, ms, median: summary.median, result: result as T };
};

/** Rows as one `unnest` of column arrays; array-typed columns travel as text literals and are cast. */
const insertBatch = async (client: pg.Client, table: string, columns: Array<[string, string]>, rows: unknown[][]) => {
  const params = columns.map((_, index) => rows.map((row) => row[index]));
  const isArray = (type: string) => type.endsWith("[]");
  await client.query(
    `insert into "${table}" (${columns.map(([name]) => `"${name}"`).join(",")})
     select ${columns.map(([, type], index) => (isArray(type) ? `c${index}::${type}` : `c${index}`)).join(",")}
     from unnest(${columns.map(([, type], index) => `$${index + 1}::${isArray(type) ? "text" : type}[]`).join(",")}) as t(${columns.map((_, index) => `c${index}`).join(",")})`,
    params,
  );
};

const main = async () => {
  console.log(
    `database ${base.pathname.slice(1)}: ${EVENTS.toLocaleString("en")} audit events, ${GRANTS.toLocaleString("en")} grants`,
  );
  await ensureDatabase(DATABASE_URL);
  const client = new pg.Client({ connectionString: DATABASE_URL });
  try {
    execFileSync("npx", ["prisma", "migrate", "deploy"], { cwd: ROOT, env: process.env, stdio: "ignore" });
    await client.connect();
    const now = Date.now();
    const span = 180 * 86_400_000; // six months of history

    // People, resources and their policies.
    const users = Array.from({ length: 300 }, (_, i) => [
      uuid7(now - span - 1000 + i),
      "https://idp.bench",
      `sub-${i}`,
      `user${i}@example.com`,
      `User ${i}`,
      `{engineers}`,
    ]);
    await insertBatch(
      client,
      "User",
      [
        ["id", "text"],
        ["issuer", "text"],
        ["subject", "text"],
        ["email", "text"],
        ["name", "text"],
        ["groups", "text[]"],
        ["updatedAt", "timestamp"],
      ],
      users.map((u) => [...u, new Date()]),
    );
    const environments = ["production", "staging", "development"];
    const resources = Array.from({ length: 30 }, (_, i) => [
      uuid7(now - span - 500 + i),
      `res-${i}`,
      `Resource ${i}`,
      pick(environments, i),
    ]);
    await insertBatch(
      client,
      "Resource",
      [
        ["id", "text"],
        ["key", "text"],
        ["name", "text"],
        ["environment", "text"],
        ["permissions", "text[]"],
        ["updatedAt", "timestamp"],
      ],
      resources.map((r) => [...r, "{read,write}", new Date()]),
    );
    const policies = resources.map((r, i) => [uuid7(now - span - 400 + i), r[0], "all"]);
    await insertBatch(
      client,
      "AccessPolicy",
      [
        ["id", "text"],
        ["resourceId", "text"],
        ["name", "text"],
        ["permissions", "text[]"],
        ["requesterGroups", "text[]"],
        ["approverGroups", "text[]"],
        ["autoApproveGroups", "text[]"],
        ["autoApprovePermissions", "text[]"],
        ["defaultDurationMinutes", "int4"],
        ["maxDurationMinutes", "int4"],
        ["updatedAt", "timestamp"],
      ],
      policies.map((p) => [...p, "{read,write}", "{engineers}", "{approvers}", "{}", "{}", 30, 240, new Date()]),
    );

    // Grants with their requests and approvals, spread over six months.
    let started = performance.now();
    for (let offset = 0; offset < GRANTS; offset += 5_000) {
      const requests: unknown[][] = [];
      const grants: unknown[][] = [];
      const approvals: unknown[][] = [];
      for (let i = offset; i < Math.min(GRANTS, offset + 5_000); i += 1) {
        const at = now - span + Math.floor((i / GRANTS) * span);
        const r = i % resources.length;
        const subject = users[(i * 7) % users.length]!;
        const approver = users[(i * 13 + 1) % users.length]!;
        const minutes = 15 + (i % 8) * 15;
        const requestId = uuid7(at - 600_000);
        const justification = `${pick(WORDS, i)} ${pick(WORDS, i * 3 + 1)} ${pick(WORDS, i * 7 + 2)} for INC-${1000 + (i % 9000)}`;
        requests.push([
          requestId,
          subject[0],
          resources[r]![0],
          policies[r]![0],
          "{read}",
          justification,
          `INC-${1000 + (i % 9000)}`,
          minutes,
          "APPROVED",
          i % 200 === 0,
          new Date(at),
          new Date(at),
          new Date(at - 600_000),
        ]);
        approvals.push([uuid7(at), requestId, approver[0], "APPROVE", new Date(at)]);
        const revoked = i % 10 === 0 ? new Date(at + 5 * 60_000) : null;
        grants.push([
          uuid7(at),
          requestId,
          subject[0],
          resources[r]![0],
          "{read}",
          new Date(at),
          new Date(at + minutes * 60_000),
          revoked,
          revoked ? "done early" : null,
        ]);
      }
      await insertBatch(
        client,
        "AccessRequest",
        [
          ["id", "text"],
          ["requesterId", "text"],
          ["resourceId", "text"],
          ["policyId", "text"],
          ["permissions", "text[]"],
          ["justification", "text"],
          ["ticket", "text"],
          ["durationMinutes", "int4"],
          ["status", '"RequestStatus"'],
          ["breakGlass", "bool"],
          ["decideBy", "timestamp"],
          ["decidedAt", "timestamp"],
          ["createdAt", "timestamp"],
          ["updatedAt", "timestamp"],
        ],
        requests.map((row) => [...row, row[12]]),
      );
      await insertBatch(
        client,
        "Approval",
        [
          ["id", "text"],
          ["requestId", "text"],
          ["approverId", "text"],
          ["decision", '"Decision"'],
          ["createdAt", "timestamp"],
        ],
        approvals,
      );
      await insertBatch(
        client,
        "Grant",
        [
          ["id", "text"],
          ["requestId", "text"],
          ["subjectId", "text"],
          ["resourceId", "text"],
          ["permissions", "text[]"],
          ["startsAt", "timestamp"],
          ["expiresAt", "timestamp"],
          ["revokedAt", "timestamp"],
          ["revokeReason", "text"],
          ["updatedAt", "timestamp"],
        ],
        grants.map((row) => [...row, row[5]]),
      );
    }
    console.log(
      `inserted ${GRANTS.toLocaleString("en")} grants (+ requests, approvals) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    // The audit chain: hashed here exactly as appendAuditEvent does, inserted in batches.
    started = performance.now();
    let prevHash = GENESIS_HASH;
    const ACTIONS = [
      "auth.sign_in",
      "request.create",
      "request.approve",
      "grant.create",
      "grant.activated",
      "grant.expired",
      "authz.denied",
    ];
    for (let offset = 0; offset < EVENTS; offset += 10_000) {
      const rows: unknown[][] = [];
      for (let i = offset; i < Math.min(EVENTS, offset + 10_000); i += 1) {
        const occurredAt = new Date(now - span + Math.floor((i / EVENTS) * span));
        const action = pick(ACTIONS, i);
        const fields = {
          id: uuid7(occurredAt.getTime()),
          occurredAt,
          actorType: "USER",
          actorId: users[i % users.length]![0] as string,
          action,
          targetType: "grant",
          targetId: `g-${i}`,
          outcome: action === "authz.denied" ? "DENIED" : "ALLOWED",
          reason: null,
          ip: "203.0.113.7",
          userAgent: "Mozilla/5.0 (bench)",
          requestId: `req-${i}`,
          details: { i, resource: `res-${i % 30}` },
          prevHash,
        };
        const hash = hashEvent(fields);
        rows.push([
          i + 1,
          fields.id,
          occurredAt,
          fields.actorType,
          fields.actorId,
          action,
          fields.targetType,
          fields.targetId,
          fields.outcome,
          fields.ip,
          fields.userAgent,
          fields.requestId,
          JSON.stringify(fields.details),
          prevHash,
          hash,
        ]);
        prevHash = hash;
      }
      await insertBatch(
        client,
        "AuditEvent",
        [
          ["seq", "int8"],
          ["id", "text"],
          ["occurredAt", "timestamp"],
          ["actorType", '"ActorType"'],
          ["actorId", "text"],
          ["action", "text"],
          ["targetType", "text"],
          ["targetId", "text"],
          ["outcome", '"AuditOutcome"'],
          ["ip", "text"],
          ["userAgent", "text"],
          ["requestId", "text"],
          ["details", "jsonb"],
          ["prevHash", "text"],
          ["hash", "text"],
        ],
        rows,
      );
    }
    await client.query(`select setval(pg_get_serial_sequence('"AuditEvent"', 'seq'), ${EVENTS})`);
    console.log(
      `inserted ${EVENTS.toLocaleString("en")} chained audit events in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    await client.query("vacuum analyze");

    const { queryGrantHistory } = await import("../lib/history/grant-history");
    const { ZHistoryFilter } = await import("../lib/history/schemas");
    const { verifyAuditChain } = await import("../lib/audit/verify-chain");
    const { disconnectDb } = await import("../lib/db");
    const filter = (input: Record<string, string>) => ZHistoryFilter.parse(input);
    const page = (input: Record<string, string>) => queryGrantHistory({ filter: filter(input), limit: 50 });

    console.log(`\ntimings (a cold first run, then median and p95 of ${RUNS - 1} warm runs):`);
    await time("history: first page, no filter", () => page({}));
    await time("history: first page, resource + status=expired", () => page({ resource: "res-3", status: "expired" }));
    const deepOffset = Math.floor(GRANTS / 30 / 2);
    const { rows: deep } = await client.query<{ id: string }>(
      `select g.id from "Grant" g join "Resource" r on r.id = g."resourceId" where r.key = 'res-3' order by g.id desc offset ${deepOffset} limit 1`,
    );
    await time(`history: deep keyset page (after ${deepOffset.toLocaleString("en")} rows), resource filter`, () =>
      page({ resource: "res-3", status: "expired", after: deep[0]!.id }),
    );
    await time("history: environment + date range (one week)", () =>
      page({
        environment: "production",
        from: new Date(now - 30 * 86_400_000).toISOString().slice(0, 10),
        to: new Date(now - 23 * 86_400_000).toISOString().slice(0, 10),
      }),
    );
    await time("history: person (name match)", () => page({ person: "User 42" }));
    await time("history: approver", () => page({ approver: "user17@example.com" }));
    await time("history: full-text 'vacuum backlog'", () => page({ q: "vacuum backlog" }));
    await time("history: break-glass only", () => page({ breakGlass: "yes" }));
    const whole = await time("verify: whole chain", () => verifyAuditChain({}), 2);
    console.log(
      `  -> ok=${whole.result.ok}, ${whole.result.checked.toLocaleString("en")} events, ${Math.round(whole.result.checked / (whole.median / 1000)).toLocaleString("en")} events/s`,
    );
    const day = await time(
      "verify: one day",
      () => verifyAuditChain({ from: new Date(now - 10 * 86_400_000), to: new Date(now - 9 * 86_400_000) }),
      3,
    );
    console.log(`  -> ok=${day.result.ok}, ${day.result.checked.toLocaleString("en")} events`);
    // The table is append-only (triggers); the bench plays a superuser who turns them off.
    await client.query(`set session_replication_role = replica`);
    await client.query(`update "AuditEvent" set reason = 'x' where seq = ${Math.floor(EVENTS * 0.9)}`);
    const broken = await time("verify: whole chain, edited at 90%", () => verifyAuditChain({}), 1);
    console.log(`  -> ok=${broken.result.ok}, break at #${broken.result.break?.seq} (${broken.result.break?.problem})`);
    const slow = slowFilters(
      timings.filter((timing) => timing.label.startsWith("history:")),
      SLOW_MS,
    );
    console.log(
      slow.length === 0
        ? `slow filters (cold or p95 over ${SLOW_MS} ms): none`
        : `slow filters (cold or p95 over ${SLOW_MS} ms): ${slow.map((timing) => `${timing.label} (cold ${timing.cold.toFixed(0)} ms, p95 ${timing.p95.toFixed(0)} ms)`).join("; ")}`,
    );
    await disconnectDb();
  } finally {
    await client.end().catch(() => undefined);
    if (!values.keep) await dropDatabase(DATABASE_URL);
    else console.log(`kept ${DATABASE_URL}`);
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
