/**
 * `npm run db:seed` on an empty database writes a month of history through the portal's use
 * cases: every outcome the Security area charts, decisions bound to passkeys, an audit chain
 * that verifies and reads in the order of time; and a second run adds nothing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { ROOT } from "../lib/cli/run";
import { getConfig } from "../lib/config";
import { dropDatabase, ensureDatabase } from "../lib/db/ensure-database";

const name = `jit_history_${randomBytes(4).toString("hex")}`;
const urlOf = (database: string) => {
  const url = new URL(getConfig().databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
};
const databaseUrl = urlOf(name);
const scratch = mkdtempSync(path.join(tmpdir(), "jit-history-"));
// This database's own anchor file (the suite's belongs to the suite's database).
const env = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  AUDIT_ANCHOR_SINK: `file:${path.join(scratch, "anchors.jsonl")}`,
};

const run = (...args: string[]) => {
  const result = spawnSync("npx", ["tsx", ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 300_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

const client = new pg.Client({ connectionString: databaseUrl });
const one = async <T>(sql: string): Promise<T> => (await client.query(sql)).rows[0] as T;

describe("the demo's month of history", () => {
  let firstRun: ReturnType<typeof run>;
  before(async () => {
    await ensureDatabase(databaseUrl);
    const migrated = spawnSync("npx", ["prisma", "migrate", "deploy"], { cwd: ROOT, env, encoding: "utf8" });
    assert.equal(migrated.status, 0, migrated.stderr);
    firstRun = run("prisma/seed.ts");
    await client.connect();
  });
  after(async () => {
    await client.end();
    await dropDatabase(databaseUrl);
    await dropDatabase(urlOf(`${name}_target`)).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("is written by db:seed on an empty database", () => {
    assert.equal(firstRun.status, 0, firstRun.stderr);
    assert.match(firstRun.stdout, /seed: 30 days of history: \d+ requests, \d+ grants, \d+ audit events/);
  });

  it("holds every outcome the Security area shows, spread over the month", async () => {
    const statuses = (await client.query(`select status, count(*)::int as n from "AccessRequest" group by 1`)).rows;
    const count = (status: string) => statuses.find((row) => row.status === status)?.n ?? 0;
    for (const status of ["APPROVED", "DENIED", "CANCELLED", "EXPIRED", "PENDING"])
      assert.ok(count(status) > 0, `some requests are ${status}: ${JSON.stringify(statuses)}`);
    const grants = await one<{ revoked: number; ended: number; live: number; breakglass: number; reviewed: number }>(
      `select count(*) filter (where "revokedAt" is not null)::int as revoked,
              count(*) filter (where "expiresAt" <= now() and "revokedAt" is null)::int as ended,
              count(*) filter (where "expiresAt" > now() and "revokedAt" is null)::int as live,
              count(*) filter (where "breakGlass")::int as breakglass,
              count(*) filter (where "breakGlass" and "reviewedAt" is not null)::int as reviewed
         from "Grant"`,
    );
    assert.ok(grants.revoked > 0 && grants.ended > 0 && grants.live > 0, JSON.stringify(grants));
    assert.deepEqual([grants.breakglass, grants.reviewed], [1, 1]);
    const risky = await one<{ n: number }>(`select count(*)::int as n from "AccessRequest" where "riskScore" > 0`);
    assert.ok(risky.n > 0, "some requests carry risk signals");
    const denied = await one<{ n: number }>(`select count(*)::int as n from "AuditEvent" where outcome = 'DENIED'`);
    assert.ok(denied.n > 0, "some attempts were refused (the charts' denied attempts)");
    const days = await one<{ n: number; first: Date }>(
      `select count(distinct date_trunc('day', "createdAt"))::int as n, min("createdAt") as first from "AccessRequest"`,
    );
    assert.ok(days.n >= 18, `requests on ${days.n} days`);
    assert.ok(
      Date.now() - days.first.getTime() > 25 * 86_400_000,
      `the first request is from ${days.first.toISOString()}`,
    );
    // Each ended grant was ended by the lifecycle, as the worker would: one EXPIRED event each.
    const unended = await one<{ n: number }>(
      `select count(*)::int as n from "Grant" g where g."expiresAt" <= now() and g."revokedAt" is null
         and not exists (select 1 from "GrantLifecycleEvent" e where e."grantId" = g.id and e.kind = 'EXPIRED')`,
    );
    assert.equal(unended.n, 0);
    // An access review under way: some people certified with a passkey, the rest for Carol.
    const review = await one<{ items: number; decided: number; open: number }>(
      `select count(*)::int as items, count(i."verdict")::int as decided,
              count(*) filter (where r."closedAt" is null)::int as open
         from "AccessReview" r join "AccessReviewItem" i on i."reviewId" = r.id`,
    );
    assert.ok(
      review.items > review.decided && review.decided > 0 && review.open === review.items,
      JSON.stringify(review),
    );
  });

  it("binds every decision to a passkey assertion, none by the requester", async () => {
    const approvals = await one<{ n: number; unbound: number; own: number }>(
      `select count(*)::int as n,
              count(*) filter (where a."passkeyId" is null or a."challengeId" is null)::int as unbound,
              count(*) filter (where a."approverId" = r."requesterId")::int as own
         from "Approval" a join "AccessRequest" r on r.id = a."requestId"`,
    );
    assert.ok(approvals.n > 20, `${approvals.n} decisions`);
    assert.deepEqual([approvals.unbound, approvals.own], [0, 0]);
  });

  it("leaves an audit chain that verifies and is in the order of time", async () => {
    const verified = run("lib/cli/audit-verify.ts");
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /audit chain intact/);
    const backwards = await one<{ n: number }>(
      `select count(*)::int as n from "AuditEvent" a join "AuditEvent" b on b.seq = a.seq + 1
        where b."occurredAt" < a."occurredAt"`,
    );
    assert.equal(backwards.n, 0);
    const span = await one<{ first: Date; last: Date }>(
      `select min("occurredAt") as first, max("occurredAt") as last from "AuditEvent"`,
    );
    assert.ok(Date.now() - span.first.getTime() > 29 * 86_400_000, `starts ${span.first.toISOString()}`);
  });

  it("marks a month's notices read and never e-mails them, but leaves today's open", async () => {
    const notices = await one<{ old: number; oldUnread: number; recentUnread: number }>(
      `select count(*) filter (where "createdAt" < now() - interval '1 day')::int as old,
              count(*) filter (where "createdAt" < now() - interval '1 day' and "readAt" is null)::int as "oldUnread",
              count(*) filter (where "createdAt" > now() - interval '3 hours' and "readAt" is null)::int as "recentUnread"
         from "Notification"`,
    );
    assert.ok(notices.old > 0);
    assert.equal(notices.oldUnread, 0);
    assert.ok(notices.recentUnread > 0, "the approvers have today's requests to look at");
    const unsent = await one<{ n: number }>(
      `select count(*)::int as n from "Notification"
        where "createdAt" < now() - interval '1 day' and 'email' = any(channels) and "emailSentAt" is null`,
    );
    assert.equal(unsent.n, 0);
  });

  it("adds nothing when run again", async () => {
    const before = await one<{ events: number; requests: number }>(
      `select (select count(*)::int from "AuditEvent") as events, (select count(*)::int from "AccessRequest") as requests`,
    );
    const again = run("prisma/seed.ts");
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /seed: no history \(the database already has audit events/);
    const after = await one<{ events: number; requests: number }>(
      `select (select count(*)::int from "AuditEvent") as events, (select count(*)::int from "AccessRequest") as requests`,
    );
    assert.deepEqual(after, before);
  });
});
