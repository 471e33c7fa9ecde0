import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pruneSessions } from "../lib/auth/prune-sessions";
import { db } from "../lib/db";
import { redis } from "../lib/redis";
import { queueConnection, queuePrefix } from "../lib/queue/connection";
import { heartbeatKey, readWorkerHeartbeats, workerStatus } from "../lib/queue/heartbeat";

const ROOT = path.resolve(import.meta.dirname, "..");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type TRunningWorker = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

const children: ChildProcess[] = [];

// One process, `node --import tsx workers/index.ts`, so the signal reaches the worker itself.
// Not `npx tsx ...`: npm 11 hands SIGTERM to the `sh -c` it runs the command in, and Debian's
// sh dies without passing it on, orphaning the worker. Not the `tsx` CLI either: it relays a
// signal to its child but SIGKILLs that child if it does not acknowledge within ~60 ms, which
// a worker busy starting a job (Prisma's WebAssembly loading) misses; the exit is then 143.
// The test's environment (its own database and Redis prefix) passes through.
const spawnWorker = (env: NodeJS.ProcessEnv = process.env): TRunningWorker => {
  // Its own process group, so cleanup can kill anything it left behind.
  const child = spawn(process.execPath, ["--import", "tsx", "workers/index.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
};

const waitFor = async <T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  context = () => "",
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n${context()}`);
    await sleep(100);
  }
};

const workerIdFrom = (output: string): string | undefined => {
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { event?: string; msg?: string; workerId?: string };
    if (entry.event === "worker.up") return entry.workerId;
  }
  return undefined;
};

const withDeadline = async <T>(work: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message: `${what} took more than ${ms} ms` })), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer); // a pending timer would keep this file's process alive
  }
};

/** Starts the worker and waits until its heartbeat is visible; returns its id. */
const startAndAwaitHeartbeat = async (worker: TRunningWorker): Promise<string> => {
  const workerId = await waitFor(
    "the 'worker up' line",
    async () => workerIdFrom(worker.output()),
    60_000,
    worker.output,
  );
  assert.match(worker.output(), /worker up: queues=maintenance/);
  await waitFor(
    "the worker's heartbeat",
    async () => ((await readWorkerHeartbeats()).some((beat) => beat.workerId === workerId) ? true : undefined),
    10_000,
    worker.output,
  );
  return workerId;
};

describe("worker process (real Redis and PostgreSQL)", () => {
  after(async () => {
    // The whole group, whatever the parent's state: a stray worker would hold our pipes open.
    for (const child of children) {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await redis().quit();
    await db.$disconnect();
  });

  it("beats a heartbeat while up, and on SIGTERM exits 0 within 10 s and removes it", async () => {
    const worker = spawnWorker();
    const workerId = await startAndAwaitHeartbeat(worker);

    const [beat] = (await readWorkerHeartbeats()).filter((entry) => entry.workerId === workerId);
    assert.deepEqual(
      [...(beat?.queues ?? [])].sort(),
      ["grant-lifecycle", "maintenance", "notify", "provisioning", "webhooks"],
      "every queue with handlers has a worker",
    );
    const ttl = await redis().pttl(heartbeatKey(workerId));
    assert.ok(ttl > 0 && ttl <= 15_000, `heartbeat TTL ${ttl} ms`);

    const status = await workerStatus();
    assert.equal(status.up, true);
    assert.ok(status.workers.some((entry) => entry.workerId === workerId));

    worker.child.kill("SIGTERM");
    const { code } = await withDeadline(worker.exited, 10_000, "exit after SIGTERM");
    assert.equal(code, 0, worker.output());
    assert.equal(await redis().exists(heartbeatKey(workerId)), 0, "heartbeat key left behind");
    assert.match(worker.output(), /"event":"worker.exit","code":0/);
  });

  it("keeps exactly one schedule per maintenance job across restarts, and exits 0 on SIGINT", async () => {
    const worker = spawnWorker();
    const workerId = await startAndAwaitHeartbeat(worker);

    const queue = new Queue("maintenance", { connection: queueConnection(), prefix: queuePrefix() });
    try {
      // The previous test's run upserted them too: still one each.
      assert.equal(await queue.getJobSchedulersCount(), 9);
      for (const name of [
        "requests.expire",
        "requests.escalate",
        "reviews.sweep",
        "lifecycle.reconcile",
        "replica-changes.prune",
        "usage-signals.prune",
        "audit.anchor",
        "provisioning.drift",
      ])
        assert.ok(await queue.getJobScheduler(name), name);
      const scheduler = await queue.getJobScheduler("sessions.prune");
      assert.equal(scheduler?.every, 15 * 60_000);
      assert.equal(scheduler?.name, "sessions.prune");
    } finally {
      await queue.close();
    }

    worker.child.kill("SIGINT");
    const { code } = await withDeadline(worker.exited, 10_000, "exit after SIGINT");
    assert.equal(code, 0, worker.output());
    assert.equal(await redis().exists(heartbeatKey(workerId)), 0);
  });

  it("refuses to start on a bad configuration: prints why and exits 1", async () => {
    const worker = spawnWorker({ ...process.env, REDIS_URL: "not a url" });
    const { code } = await withDeadline(worker.exited, 30_000, "exit on bad configuration");
    assert.equal(code, 1);
    assert.match(worker.output(), /Invalid configuration/);
    assert.match(worker.output(), /REDIS_URL/);
  });

  it("reports no worker up, without throwing, within about a second when Redis is unreachable", async () => {
    const unreachable = new Redis("redis://127.0.0.1:1", {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    unreachable.on("error", () => undefined);
    try {
      const t0 = Date.now();
      const status = await workerStatus({ client: unreachable });
      const elapsed = Date.now() - t0;
      assert.deepEqual(status, { up: false, workers: [], error: "redis unreachable" });
      assert.ok(elapsed < 1_500, `answered after ${elapsed} ms`);
    } finally {
      unreachable.disconnect();
    }
  });

  it("loses nothing: a new worker ends the grant on time, and no side effect happens twice", async () => {
    const { scheduleGrantLifecycle } = await import("../lib/access/lifecycle");
    const resource = await db.resource.create({
      data: { key: `kill-${randomUUID().slice(0, 8)}`, name: "Kill DB", environment: "staging", permissions: ["read"] },
    });
    const user = await db.user.create({
      data: {
        issuer: "https://idp.test.example",
        subject: randomUUID(),
        email: "killed@example.com",
        name: "K",
        groups: [],
      },
    });

    const first = spawnWorker();
    await startAndAwaitHeartbeat(first);
    const grant = await db.$transaction(async (tx) => {
      const created = await tx.grant.create({
        data: {
          subjectId: user.id,
          resourceId: resource.id,
          permissions: ["read"],
          startsAt: new Date(),
          expiresAt: new Date(Date.now() + 4_000),
        },
      });
      await scheduleGrantLifecycle(tx, created);
      return created;
    });
    // Let the first worker relay the jobs and start the grant, then kill it: no drain, no cleanup.
    await withDeadline(
      (async () => {
        while (!(await db.grantLifecycleEvent.findFirst({ where: { grantId: grant.id, kind: "ACTIVATED" } })))
          await new Promise((resolve) => setTimeout(resolve, 50));
      })(),
      10_000,
      "activation by the first worker",
    );
    first.child.kill("SIGKILL");
    await first.exited;

    const second = spawnWorker();
    try {
      await startAndAwaitHeartbeat(second);
      await withDeadline(
        (async () => {
          while (!(await db.grantLifecycleEvent.findFirst({ where: { grantId: grant.id, kind: "EXPIRED" } })))
            await new Promise((resolve) => setTimeout(resolve, 50));
        })(),
        20_000,
        "expiry by the second worker",
      );
      // Give a possible duplicate (a stalled job re-run, the start reconcile) time to show up.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(await db.auditEvent.count({ where: { targetId: grant.id, action: "grant.activated" } }), 1);
      assert.equal(await db.auditEvent.count({ where: { targetId: grant.id, action: "grant.expired" } }), 1);
      assert.equal(await db.notification.count({ where: { userId: user.id } }), 2, "started and ended, once each");
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });
});

describe("pruneSessions", () => {
  it("deletes expired and long-revoked sessions, keeps live and recently revoked ones", async () => {
    const now = new Date();
    const hour = 3600_000;
    const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
    const user = await db.user.create({
      data: {
        issuer: "https://idp.test",
        subject: `prune-${randomUUID()}`,
        email: "prune@example.com",
        name: "Prune Test",
        groups: [],
      },
    });
    const session = (data: { expiresAt: Date; revokedAt?: Date }) =>
      db.session.create({ data: { userId: user.id, ...data } });
    const expired = await session({ expiresAt: at(-60_000) });
    const live = await session({ expiresAt: at(hour) });
    const revokedLongAgo = await session({ expiresAt: at(hour), revokedAt: at(-48 * hour) });
    const revokedRecently = await session({ expiresAt: at(hour), revokedAt: at(-hour) });

    const { deleted } = await pruneSessions({ now });
    assert.ok(deleted >= 2, `deleted ${deleted}`);
    const left = await db.session.findMany({ where: { userId: user.id }, select: { id: true } });
    assert.deepEqual(left.map((row) => row.id).sort(), [live.id, revokedRecently.id].sort());
    assert.ok(![expired.id, revokedLongAgo.id].some((id) => left.some((row) => row.id === id)));

    // Nothing more to do on a second run at the same instant.
    assert.equal((await pruneSessions({ now })).deleted, 0);
  });
});
