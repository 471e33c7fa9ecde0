/**
 * Grant lifecycle against real PostgreSQL, Redis and BullMQ: the side effects happen once,
 * the outbox commits with the change, a running worker ends a grant on time, and a Redis that
 * lost every job loses nothing but time.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import { rolesForGroups } from "../authz";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { queueConnection, queuePrefix } from "../queue/connection";
import { relayOutbox } from "../queue/outbox";
import { closeQueues } from "../queue/producer";
import { startWorkers } from "../queue/runtime";
import { redis } from "../redis";
import { createActor, uniqueId } from "../testing/fixtures";
import { grantLifecycleHandlers } from "../../workers/grant-lifecycle.worker";
import { getConfig } from "../config";
import { createSoftwareAuthenticator } from "../testing/software-authenticator";
import { finishPasskeyRegistration, startPasskeyRegistration } from "../webauthn";
import { createEndpoint } from "../webhooks";
import {
  activateGrant,
  expireGrant,
  expireStaleRequests,
  reconcileLifecycle,
  scheduleGrantLifecycle,
} from "./lifecycle";
import { activeGrantWhere, grantStatus, isGrantActive } from "./grant-status";
import { revokeGrant, startRevocation } from "./revoke-grant";

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

let resourceId = "";
let resourceKey = "";
before(async () => {
  resourceKey = uniqueId("res");
  resourceId = (
    await db.resource.create({
      data: { key: resourceKey, name: "Lifecycle DB", environment: "production", permissions: ["read"] },
    })
  ).id;
  // A provisioning endpoint on the resource: every lifecycle event must reach it once.
  await createEndpoint({
    actor: await createActor({ groups: ["portal-admins"] }),
    resourceKey,
    url: "http://127.0.0.1:9/hook",
    events: ["grant.activated", "grant.expired", "grant.revoked", "grant.extended"],
  });
});
after(async () => {
  await closeQueues();
  redis().disconnect();
  await disconnectDb();
});

const createGrant = async (options: { subjectId: string; startsInMs?: number; endsInMs: number }) => {
  const now = Date.now();
  return db.$transaction(async (tx) => {
    const grant = await tx.grant.create({
      data: {
        subjectId: options.subjectId,
        resourceId,
        permissions: ["read"],
        startsAt: new Date(now + (options.startsInMs ?? 0)),
        expiresAt: new Date(now + options.endsInMs),
      },
    });
    await scheduleGrantLifecycle(tx, grant);
    return grant;
  });
};

const waitFor = async <T>(probe: () => Promise<T | null | undefined>, timeoutMs: number): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe("grant lifecycle", () => {
  it("writes the start, warning and expiry jobs in the grant's transaction, and none if it rolls back", async () => {
    const { userId } = await createActor();
    const grant = await createGrant({ subjectId: userId, endsInMs: 3_600_000 });
    const jobs = await db.outboxJob.findMany({
      where: { payload: { path: ["grantId"], equals: grant.id } },
      orderBy: { id: "asc" },
    });
    assert.deepEqual(
      jobs.map((job) => job.name),
      ["grant.start", "grant.warn", "grant.expire"],
    );
    assert.ok(
      jobs.every((job) => !job.jobId.includes(":")),
      "BullMQ-safe ids",
    );

    const before = await db.outboxJob.count();
    await assert.rejects(
      db.$transaction(async (tx) => {
        const doomed = await tx.grant.create({
          data: {
            subjectId: userId,
            resourceId,
            permissions: ["read"],
            startsAt: new Date(),
            expiresAt: new Date(Date.now() + 60_000),
          },
        });
        await scheduleGrantLifecycle(tx, doomed);
        throw new Error("the change failed");
      }),
      /the change failed/,
    );
    assert.equal(await db.outboxJob.count(), before);
  });

  it("runs each side effect once, however often its job runs", async () => {
    const { userId } = await createActor();
    const grant = await createGrant({ subjectId: userId, endsInMs: 60_000 });
    assert.equal(await activateGrant({ grantId: grant.id }), "done");
    assert.equal(await activateGrant({ grantId: grant.id }), "already-done");
    assert.equal(await expireGrant({ grantId: grant.id }), "not-yet", "an early expiry job does nothing");
    const later = new Date(grant.expiresAt.getTime() + 1);
    assert.equal(await expireGrant({ grantId: grant.id, now: later }), "done");
    assert.equal(await expireGrant({ grantId: grant.id, now: later }), "already-done");
    assert.equal(await db.auditEvent.count({ where: { targetId: grant.id, action: "grant.activated" } }), 1);
    assert.equal(await db.auditEvent.count({ where: { targetId: grant.id, action: "grant.expired" } }), 1);
    const deliveries = await db.webhookDelivery.findMany({
      where: { grantId: grant.id },
      orderBy: { createdAt: "asc" },
    });
    assert.deepEqual(
      deliveries.map((delivery) => delivery.eventType),
      ["grant.activated", "grant.expired"],
      "one provisioning event each",
    );
    const notices = await db.notification.findMany({ where: { userId: userId }, orderBy: { createdAt: "asc" } });
    assert.deepEqual(
      notices.map((notice) => notice.kind),
      ["grant.started", "grant.ended"],
      "the subject is told once each",
    );
  });

  it("ends a burst in batches: every due grant once, however many jobs run at the same time", async () => {
    const { userId } = await createActor();
    const burst = await Promise.all(
      Array.from({ length: 60 }, () => createGrant({ subjectId: userId, startsInMs: -120_000, endsInMs: -1_000 })),
    );
    const ids = burst.map((grant) => grant.id);
    const outcomes = await Promise.all(ids.map((grantId) => expireGrant({ grantId })));
    assert.ok(
      outcomes.every((outcome) => outcome === "done" || outcome === "already-done"),
      outcomes.join(","),
    );
    assert.ok(
      outcomes.filter((outcome) => outcome === "already-done").length > 0,
      "other jobs' grants were ended in a batch",
    );

    const events = await db.auditEvent.findMany({
      where: { action: "grant.expired", targetId: { in: ids } },
      select: { targetId: true, details: true },
    });
    assert.equal(events.length, 60, "one audit event per grant");
    assert.equal(new Set(events.map((event) => event.targetId)).size, 60);
    assert.ok(
      events.some((event) => ((event.details as { batch?: number }).batch ?? 1) > 1),
      "some batches held several grants",
    );
    assert.equal(await db.grantLifecycleEvent.count({ where: { grantId: { in: ids }, kind: "EXPIRED" } }), 60);
    assert.equal(
      await db.webhookDelivery.count({ where: { grantId: { in: ids }, eventType: "grant.expired" } }),
      60,
      "one deprovisioning event each",
    );
    assert.equal(
      await db.notification.count({ where: { userId, kind: "grant.ended" } }),
      60,
      "the subject is told once per grant",
    );
    // Run again: nothing more happens.
    assert.deepEqual(
      new Set(await Promise.all(ids.map((grantId) => expireGrant({ grantId })))),
      new Set(["already-done"]),
    );
    assert.equal(await db.auditEvent.count({ where: { action: "grant.expired", targetId: { in: ids } } }), 60);
  });

  it("relays the outbox to BullMQ once, with the job's delay", async () => {
    // Earlier tests' rows first (the relay moves at most 200 a pass).
    while ((await relayOutbox()).relayed > 0);
    const { userId } = await createActor();
    const grant = await createGrant({ subjectId: userId, endsInMs: 3_600_000 });
    await relayOutbox();
    assert.equal((await relayOutbox()).relayed, 0, "nothing left to relay");
    const queue = new Queue("grant-lifecycle", { connection: queueConnection(), prefix: queuePrefix() });
    try {
      const job = await queue.getJob(`grant.expire_${grant.id}_${grant.expiresAt.getTime()}`);
      assert.ok(job, "the expiry job is in Redis");
      assert.ok(job.opts.delay && job.opts.delay > 3_500_000, "and waits for the grant's end");
    } finally {
      await queue.close();
    }
  });

  it("ends a grant on time with a running worker, and recovers jobs Redis lost", async () => {
    const runtime = startWorkers({ handlers: { "grant-lifecycle": grantLifecycleHandlers }, concurrency: 10 });
    try {
      const { userId } = await createActor();
      const onTime = await createGrant({ subjectId: userId, endsInMs: 1_500 });
      await relayOutbox();
      const expired = await waitFor(
        () => db.grantLifecycleEvent.findFirst({ where: { grantId: onTime.id, kind: "EXPIRED" } }),
        10_000,
      );
      const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: onTime.id, action: "grant.expired" } });
      const lagMs = audit.occurredAt.getTime() - onTime.expiresAt.getTime();
      assert.ok(expired && lagMs >= 0 && lagMs < 2_000, `expired ${lagMs} ms after its end`);

      // Redis loses everything this test run put there (as a flush would).
      const lost = await createGrant({ subjectId: userId, endsInMs: 1_500 });
      await relayOutbox();
      const keys = await redis().keys(`${queuePrefix()}:grant-lifecycle:*`);
      if (keys.length > 0) await redis().del(...keys);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      assert.equal(
        await db.grantLifecycleEvent.count({ where: { grantId: lost.id, kind: "EXPIRED" } }),
        0,
        "the job was lost with Redis",
      );
      // With its job lost and nothing run, the stored grant is already over for every check.
      const stored = await db.grant.findUniqueOrThrow({ where: { id: lost.id } });
      assert.equal(stored.revokedAt, null, "nothing ended it");
      assert.equal(grantStatus(stored), "expired", "validity never depended on the worker");
      assert.equal(
        await db.grant.count({ where: { id: lost.id, ...activeGrantWhere(new Date()) } }),
        0,
        "the checks' query finds it over",
      );
      const { enqueued } = await reconcileLifecycle();
      assert.ok(enqueued > 0);
      await waitFor(() => db.grantLifecycleEvent.findFirst({ where: { grantId: lost.id, kind: "EXPIRED" } }), 10_000);
    } finally {
      await runtime.shutdown("test");
    }
  });

  it("expires pending requests past their decision window", async () => {
    const requester = await createActor();
    const policy = await db.accessPolicy.create({
      data: {
        resourceId,
        name: uniqueId("p"),
        permissions: ["read"],
        requesterGroups: ["engineers"],
        approverGroups: ["x"],
        defaultDurationMinutes: 10,
        maxDurationMinutes: 20,
      },
    });
    const request = await db.accessRequest.create({
      data: {
        requesterId: requester.userId,
        resourceId,
        policyId: policy.id,
        permissions: ["read"],
        justification: "stale",
        durationMinutes: 10,
        decideBy: new Date(Date.now() - 1_000),
      },
    });
    const { expired } = await expireStaleRequests();
    assert.ok(expired >= 1);
    assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: request.id } })).status, "EXPIRED");
    assert.equal(await db.auditEvent.count({ where: { targetId: request.id, action: "request.expired" } }), 1);
  });
});

describe("revoking a grant", () => {
  it("lets the subject end their own grant at once, with the end-of-grant side effects", async () => {
    const subject = await createActor();
    const grant = await createGrant({ subjectId: subject.userId, endsInMs: 3_600_000 });
    await revokeGrant({ actor: subject, input: { grantId: grant.id } });
    const revoked = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    assert.equal(isGrantActive(revoked), false, "immediate for every check");
    assert.equal(await db.grantLifecycleEvent.count({ where: { grantId: grant.id, kind: "REVOKED" } }), 1);
    await assert.rejects(revokeGrant({ actor: subject, input: { grantId: grant.id } }), isCode("CONFLICT"));
    assert.equal(
      await expireGrant({ grantId: grant.id, now: new Date(grant.expiresAt.getTime() + 1) }),
      "skipped",
      "no expiry effects after a revocation",
    );
  });

  it("refuses another engineer, and requires a reason and a passkey from administrators", async () => {
    const subject = await createActor();
    const grant = await createGrant({ subjectId: subject.userId, endsInMs: 3_600_000 });
    const other = await createActor();
    // NOT_FOUND, the answer a missing id gets: another person's grant id is never confirmed.
    await assert.rejects(
      revokeGrant({ actor: other, input: { grantId: grant.id, reason: "mine now" } }),
      isCode("NOT_FOUND"),
    );
    await assert.rejects(startRevocation({ actor: other, grantId: grant.id }), isCode("NOT_FOUND"));
    assert.equal(
      await db.auditEvent.count({ where: { action: "authz.denied", actorId: other.userId, targetId: grant.id } }),
      2,
      "each refusal is audited",
    );
    const admin = await createActor({ groups: ["portal-admins"] });
    assert.deepEqual(admin.roles, rolesForGroups(["portal-admins"]));
    await assert.rejects(revokeGrant({ actor: admin, input: { grantId: grant.id } }), isCode("INVALID_INPUT"));
    await assert.rejects(
      revokeGrant({ actor: admin, input: { grantId: grant.id, reason: "suspicious activity" } }),
      isCode("FORBIDDEN"),
    );
    assert.equal((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).revokedAt, null);
  });

  it("lets a security reviewer revoke with a reason and a passkey bound to that grant", async () => {
    const subject = await createActor();
    const grant = await createGrant({ subjectId: subject.userId, endsInMs: 3_600_000 });
    const other = await createGrant({ subjectId: subject.userId, endsInMs: 3_600_000 });
    const reviewer = await createActor({ groups: ["security-reviewers"] });
    const { origin, rpId } = getConfig().webauthn;
    const authenticator = createSoftwareAuthenticator({ origin, rpId });
    await finishPasskeyRegistration({
      actor: reviewer,
      name: "reviewer key",
      response: await authenticator.register(await startPasskeyRegistration({ actor: reviewer })),
    });

    const options = await startRevocation({ actor: reviewer, grantId: grant.id });
    assert.ok(options, "someone else's grant needs a step-up");
    const assertion = await authenticator.assert(options);
    // The assertion for one grant does not revoke another.
    await assert.rejects(
      revokeGrant({ actor: reviewer, input: { grantId: other.id, reason: "wrong grant", assertion } }),
      isCode("FORBIDDEN"),
    );
    await revokeGrant({
      actor: reviewer,
      input: { grantId: grant.id, reason: "credential leak suspected", assertion },
    });
    const revoked = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    assert.equal(revoked.revokedById, reviewer.userId);
    assert.equal(revoked.revokeReason, "credential leak suspected");
    assert.equal(await db.webhookDelivery.count({ where: { grantId: grant.id, eventType: "grant.revoked" } }), 1);
    assert.equal((await db.grant.findUniqueOrThrow({ where: { id: other.id } })).revokedAt, null);
  });
});
