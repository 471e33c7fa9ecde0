/**
 * The usage-signal leg of `npm run bench:signals` (ADR 0042): from a flagged usage report
 * (above the policy's ceiling, response "revoke") to the check API answering no. Each trial is a
 * fresh person with a live grant; the clock starts when the report is sent and stops at the
 * first check that says no (checks are sent back to back from the moment the report's answer
 * arrives). The revocation's deprovisioning delivery is asserted queued in each trial; running it
 * is the worker's leg, measured by bench:revoke.
 *
 * `measureUsageSignalLeg` expects DATABASE_URL and REDIS_URL/REDIS_PREFIX set to a bench's own
 * database and prefix (see bench/revoke.ts for the set-up); run alone it makes its own:
 *
 *   node --import tsx bench/signals-usage.ts [--trials=100] [--keep]
 */
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import path from "node:path";
import { Redis } from "ioredis";
import { ensureDatabase } from "../lib/db/ensure-database";
import { formatStats, removeBenchData, stats, type TStats } from "./support";

export type TUsageSignalLeg = {
  trials: number;
  /** Report sent → its answer (the revocation committed and the local replica told). */
  answerMs: TStats | null;
  /** Report sent → the first check answering no. */
  checkNoMs: TStats | null;
  /** Trials whose deprovisioning delivery was not queued, or whose check never said no within 5 s. */
  failures: string[];
};

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

export const measureUsageSignalLeg = async (options: { trials?: number } = {}): Promise<TUsageSignalLeg> => {
  const trials = options.trials ?? 100;
  const { db } = await import("../lib/db");
  const { startApiServer } = await import("../api/server");
  const { createServiceClient } = await import("../lib/services");
  const { createUser, createActor, createHistoricGrant } = await import("../lib/testing/fixtures");
  const { createEndpoint } = await import("../lib/webhooks");
  const { announceReplicaChange } = await import("../lib/services/feed");

  const api = await startApiServer({
    port: 0,
    rateLimit: { limit: 1_000_000, windowMs: 60_000 },
    log: () => undefined,
  });
  const failures: string[] = [];
  const answers: number[] = [];
  const checkNo: number[] = [];
  try {
    const suffix = randomBytes(4).toString("hex");
    const resource = await db.resource.create({
      data: { key: `bench-signals-${suffix}`, name: "Bench signals", environment: "bench", permissions: ["read"] },
    });
    const policy = await db.accessPolicy.create({
      data: {
        resourceId: resource.id,
        name: "read",
        permissions: ["read"],
        requesterGroups: ["engineers"],
        approverGroups: ["db-approvers"],
        defaultDurationMinutes: 30,
        maxDurationMinutes: 120,
        usageResponse: "revoke",
        usageCeilings: { rows_read: 1_000 },
      },
    });
    const admin = await createActor({ groups: ["portal-admins"] });
    await createEndpoint({
      actor: admin,
      resourceKey: resource.key,
      url: "http://127.0.0.1:9/deprovision",
      events: ["grant.revoked"],
    });
    const client = await createServiceClient({
      actor: { kind: "system", name: "bench" },
      input: { name: `bench-signals-${suffix}`, scopes: ["access:check", "signals:write"], resourceKeys: [] },
    });
    const tokenRes = await fetch(`${api.url}/api/v1/oauth/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: basic(client.clientId, client.clientSecret),
      },
      body: "grant_type=client_credentials",
    });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const post = (route: string, body: unknown) =>
      fetch(`${api.url}${route}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    for (let trial = 0; trial < trials; trial++) {
      const person = await createUser();
      const { grant } = await createHistoricGrant({
        subjectId: person.id,
        resourceId: resource.id,
        policyId: policy.id,
        startsAt: new Date(Date.now() - 60_000),
        minutes: 60,
      });
      await announceReplicaChange();
      const check = { subject: person.email, resource: resource.key, permission: "read" };
      const before = (await (await post("/api/v1/access/check", check)).json()) as { allowed: boolean };
      if (!before.allowed) {
        failures.push(`trial ${trial}: the grant was not live before the report`);
        continue;
      }
      const sent = performance.now();
      const answer = await post("/api/v1/signals", {
        subject: person.email,
        resource: resource.key,
        metric: "rows_read",
        value: 5_000,
        window: "PT1M",
      });
      await answer.arrayBuffer();
      answers.push(Math.round(performance.now() - sent));
      let saidNo = false;
      while (performance.now() - sent < 5_000) {
        const result = (await (await post("/api/v1/access/check", check)).json()) as { allowed: boolean };
        if (!result.allowed) {
          checkNo.push(Math.round(performance.now() - sent));
          saidNo = true;
          break;
        }
      }
      if (!saidNo) failures.push(`trial ${trial}: the check still said yes after 5 s`);
      const queued = await db.webhookDelivery.count({ where: { grantId: grant.id, eventType: "grant.revoked" } });
      if (queued === 0) failures.push(`trial ${trial}: no deprovisioning delivery queued`);
    }
  } finally {
    await api.close();
  }
  return { trials, answerMs: stats(answers), checkNoMs: stats(checkNo), failures };
};

/** Alone: a database and Redis prefix of its own, migrated, then dropped (unless --keep). */
const main = async (): Promise<number> => {
  const argv = process.argv.slice(2);
  const trials = Number(argv.find((arg) => arg.startsWith("--trials="))?.slice(9) ?? "100");
  const runId = `${process.pid}_${randomBytes(4).toString("hex")}`;
  const base = new URL(process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  base.pathname = `/jit_bench_${runId}`;
  const DATABASE_URL = base.toString();
  const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  const REDIS_PREFIX = `jit-bench-${runId}`;
  for (const name of ["APP_URL", "AUTH_SECRET", "ADMIN_GROUPS", "SECURITY_GROUPS", "SMTP_URL", "CHAT_WEBHOOK_URL"])
    delete process.env[name];
  Object.assign(process.env, {
    NODE_ENV: "development",
    DATABASE_URL,
    REDIS_URL,
    REDIS_PREFIX,
    LOG_LEVEL: "silent",
    // The deprovisioning receiver is on loopback (nothing listens: the delivery only has to be queued).
    OUTBOUND_ALLOWED_HOSTS: "127.0.0.0/8",
  });
  await ensureDatabase(DATABASE_URL);
  const root = path.resolve(import.meta.dirname, "..");
  const migrated = await new Promise<number>((resolve) =>
    spawn("npx", ["prisma", "migrate", "deploy"], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: process.env,
    }).on("exit", (code) => resolve(code ?? 1)),
  );
  if (migrated !== 0) throw new Error("migrate deploy failed");
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  try {
    const leg = await measureUsageSignalLeg({ trials });
    console.log(formatStats("flagged report → its answer", leg.answerMs));
    console.log(formatStats("flagged report → check says no", leg.checkNoMs));
    for (const failure of leg.failures) console.log(`FAIL ${failure}`);
    const p99 = leg.checkNoMs?.p99 ?? Number.POSITIVE_INFINITY;
    console.log(`target p99 < 1000 ms: ${p99 < 1_000 && leg.failures.length === 0 ? "met" : "NOT met"}`);
    return p99 < 1_000 && leg.failures.length === 0 ? 0 : 1;
  } finally {
    const { disconnectDb } = await import("../lib/db");
    await disconnectDb();
    await removeBenchData({ keep: argv.includes("--keep"), databaseUrl: DATABASE_URL, redis, prefix: REDIS_PREFIX });
    redis.disconnect();
  }
};

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
