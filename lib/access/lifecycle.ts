/**
 * Time turned into events. A grant's validity never depends on anything here (it is computed
 * from its times); these are the side effects: audit events, provisioning webhooks, notices.
 * Each happens once per (grant, kind, instant): the GrantLifecycleEvent row is the latch, so a
 * duplicate or retried job does nothing twice.
 */
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { db, type Db } from "../db";
import { addOutboxJobs, bullJobId } from "../queue/outbox";
import { enqueue } from "../queue/producer";
import { notify } from "../notify";
import { cancelScheduledWebhooks, loadWebhookGrant, queueGrantWebhooks, webhookJobId } from "../webhooks";

type TGrantTimes = { id: string; startsAt: Date; expiresAt: Date };

/** The jobs a grant's life needs, with ids tied to the instants they are about. */
export const lifecycleJobs = (grant: TGrantTimes) => {
  const warnAt = new Date(grant.expiresAt.getTime() - getConfig().grantWarningMs);
  return [
    { name: "grant.start" as const, runAt: grant.startsAt, jobId: `grant.start:${grant.id}:${grant.startsAt.getTime()}` },
    ...(warnAt > grant.startsAt ? [{ name: "grant.warn" as const, runAt: warnAt, jobId: `grant.warn:${grant.id}:${grant.expiresAt.getTime()}` }] : []),
    { name: "grant.expire" as const, runAt: grant.expiresAt, jobId: `grant.expire:${grant.id}:${grant.expiresAt.getTime()}` },
  ];
};

/**
 * In the transaction that creates a grant, or moves its end (`moved`, with the instant it
 * replaces): its start, warning and expiry jobs, and its start and end webhooks, scheduled for
 * their instants so the target hears of them without waiting for the lifecycle jobs (those
 * still queue them too: an endpoint registered later gets its delivery then, and an existing
 * one is not doubled).
 */
export const scheduleGrantLifecycle = async (tx: Db, grant: TGrantTimes, options: { moved?: { now: Date } } = {}): Promise<void> => {
  await addOutboxJobs(
    tx,
    lifecycleJobs(grant)
      .filter((job) => !(options.moved && job.name === "grant.start"))
      .map((job) => ({ name: job.name, payload: { grantId: grant.id }, jobId: job.jobId, runAt: job.runAt })),
  );
  const loaded = (await loadWebhookGrant(tx, grant.id)) ?? undefined;
  if (options.moved) {
    await cancelScheduledWebhooks(tx, { grantId: grant.id, now: options.moved.now, eventType: "grant.expired", reason: "expiry moved" });
  } else {
    await queueGrantWebhooks(tx, { grantId: grant.id, eventType: "grant.activated", occurredAt: grant.startsAt, sendAfter: grant.startsAt, grant: loaded });
  }
  await queueGrantWebhooks(tx, { grantId: grant.id, eventType: "grant.expired", occurredAt: grant.expiresAt, sendAfter: grant.expiresAt, grant: loaded });
};

const loadGrant = (tx: Db, grantId: string) =>
  tx.grant.findUnique({
    where: { id: grantId },
    include: { resource: { select: { key: true, name: true } }, subject: { select: { id: true, email: true, name: true } } },
  });
type TLoadedGrant = NonNullable<Awaited<ReturnType<typeof loadGrant>>>;

/** Takes the once-only latch; false when this side effect already happened. */
const latch = async (tx: Db, grantId: string, kind: "ACTIVATED" | "WARNED" | "EXPIRED" | "REVOKED" | "EXTENDED", at: Date): Promise<boolean> => {
  const { count } = await tx.grantLifecycleEvent.createMany({ data: [{ grantId, kind, at }], skipDuplicates: true });
  return count === 1;
};

const describe = (grant: TLoadedGrant) => `${grant.permissions.join(", ")} on ${grant.resource.name}`;

export type TLifecycleOutcome = "done" | "already-done" | "skipped" | "not-yet";

/** At startsAt: provisioning webhook, audit, notices. */
export const activateGrant = async (options: { grantId: string; now?: Date }): Promise<TLifecycleOutcome> => {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const grant = await loadGrant(tx, options.grantId);
    if (!grant || grant.revokedAt || grant.expiresAt <= now) return "skipped";
    if (now < grant.startsAt) return "not-yet";
    if (!(await latch(tx, grant.id, "ACTIVATED", grant.startsAt))) return "already-done";
    await queueGrantWebhooks(tx, { grantId: grant.id, eventType: "grant.activated", occurredAt: grant.startsAt, grant });
    await notify(tx, { recipients: { userIds: [grant.subjectId], security: true }, kind: "grant.started", title: `Access started: ${describe(grant)}`, body: `${grant.subject.name} holds ${describe(grant)} until ${grant.expiresAt.toISOString()}.`, link: grant.requestId ? `/requests/${grant.requestId}` : "/" });
    // Last: the audit chain's lock is then held only for this insert and the commit.
    await appendAuditEvent(tx, { actorType: "SYSTEM", actorId: "lifecycle", action: "grant.activated", targetType: "grant", targetId: grant.id, outcome: "ALLOWED", details: { startsAt: grant.startsAt.toISOString() } });
    return "done";
  });
};

/** Before the end: the subject is told, with a way to ask for more time. */
export const warnGrant = async (options: { grantId: string; now?: Date }): Promise<TLifecycleOutcome> => {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const grant = await loadGrant(tx, options.grantId);
    if (!grant || grant.revokedAt || grant.expiresAt <= now) return "skipped";
    if (now < new Date(grant.expiresAt.getTime() - getConfig().grantWarningMs)) return "not-yet";
    if (!(await latch(tx, grant.id, "WARNED", grant.expiresAt))) return "already-done";
    const minutes = Math.max(1, Math.round((grant.expiresAt.getTime() - now.getTime()) / 60_000));
    await notify(tx, { recipients: { userIds: [grant.subjectId] }, kind: "grant.ending", title: `Ending in ${minutes} min: ${describe(grant)}`, body: `Your access ends at ${grant.expiresAt.toISOString()}. Ask for an extension if you need more time.`, link: `/grants/${grant.id}/extend` });
    return "done";
  });
};

/** At expiresAt: deprovisioning webhook, audit, notices. A moved expiry makes the old job a no-op. */
export const expireGrant = async (options: { grantId: string; now?: Date }): Promise<TLifecycleOutcome> => {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const grant = await loadGrant(tx, options.grantId);
    if (!grant || grant.revokedAt) return "skipped";
    if (now < grant.expiresAt) return "not-yet";
    if (!(await latch(tx, grant.id, "EXPIRED", grant.expiresAt))) return "already-done";
    await queueGrantWebhooks(tx, { grantId: grant.id, eventType: "grant.expired", occurredAt: grant.expiresAt, grant });
    await notify(tx, { recipients: { userIds: [grant.subjectId], security: true }, kind: "grant.ended", title: `Access ended: ${describe(grant)}`, body: `${grant.subject.name}'s ${describe(grant)} ended at ${grant.expiresAt.toISOString()}.`, link: grant.requestId ? `/requests/${grant.requestId}` : "/" });
    // Last: the audit chain's lock is then held only for this insert and the commit.
    await appendAuditEvent(tx, { actorType: "SYSTEM", actorId: "lifecycle", action: "grant.expired", targetType: "grant", targetId: grant.id, outcome: "ALLOWED", details: { expiresAt: grant.expiresAt.toISOString(), lagMs: now.getTime() - grant.expiresAt.getTime() } });
    return "done";
  });
};

/** Pending requests nobody decided in time expire; the requester is told. */
export const expireStaleRequests = async (options: { now?: Date; limit?: number } = {}): Promise<{ expired: number }> => {
  const now = options.now ?? new Date();
  const stale = await db.accessRequest.findMany({ where: { status: "PENDING", decideBy: { lte: now } }, select: { id: true }, take: options.limit ?? 500 });
  let expired = 0;
  for (const { id } of stale) {
    await db.$transaction(async (tx) => {
      const { count } = await tx.accessRequest.updateMany({ where: { id, status: "PENDING", decideBy: { lte: now } }, data: { status: "EXPIRED", decidedAt: now } });
      if (count === 0) return;
      const request = await tx.accessRequest.findUniqueOrThrow({ where: { id }, include: { resource: { select: { name: true } } } });
      await appendAuditEvent(tx, { actorType: "SYSTEM", actorId: "lifecycle", action: "request.expired", targetType: "request", targetId: id, outcome: "ALLOWED", reason: "no decision within the policy's window" });
      await notify(tx, { recipients: { userIds: [request.requesterId] }, kind: "request.expired", title: `Request expired: ${request.permissions.join(", ")} on ${request.resource.name}`, body: "Nobody decided on your request in time. Submit it again if you still need access.", link: `/requests/${id}` });
      expired += 1;
    });
  }
  return { expired };
};

/**
 * Redis is losable: re-creates the jobs of every grant that still has a side effect ahead
 * (deterministic ids make existing jobs a no-op), and runs overdue ones at once. Runs at
 * worker start and on a schedule.
 */
export const reconcileLifecycle = async (options: { now?: Date } = {}): Promise<{ grants: number; deliveries: number; enqueued: number }> => {
  const now = options.now ?? new Date();
  const grants = await db.grant.findMany({
    where: { revokedAt: null, lifecycleEvents: { none: { kind: "EXPIRED" } }, expiresAt: { gt: new Date(now.getTime() - 7 * 24 * 3_600_000) } },
    select: { id: true, startsAt: true, expiresAt: true, lifecycleEvents: { select: { kind: true } } },
  });
  let enqueued = 0;
  for (const grant of grants) {
    const done = new Set(grant.lifecycleEvents.map((event) => event.kind));
    for (const job of lifecycleJobs(grant)) {
      if (job.name === "grant.start" && done.has("ACTIVATED")) continue;
      if (job.name === "grant.warn" && (done.has("WARNED") || grant.expiresAt <= now)) continue;
      await enqueue(job.name, { grantId: grant.id }, { jobId: bullJobId(job.jobId), delay: Math.max(0, job.runAt.getTime() - now.getTime()) });
      enqueued += 1;
    }
  }
  // Deliveries whose jobs Redis lost: every undelivered one of an enabled endpoint gets its
  // job again (same id, so a job still in Redis is untouched).
  const undelivered = await db.webhookDelivery.findMany({
    where: { deliveredAt: null, cancelledAt: null, endpoint: { disabledAt: null }, createdAt: { gt: new Date(now.getTime() - 30 * 24 * 3_600_000) } },
    select: { id: true, sendAfter: true },
  });
  for (const delivery of undelivered) {
    const delay = delivery.sendAfter ? Math.max(0, delivery.sendAfter.getTime() - now.getTime()) : 0;
    await enqueue("webhook.deliver", { deliveryId: delivery.id }, { jobId: bullJobId(webhookJobId(delivery.id)), delay });
    enqueued += 1;
  }
  return { grants: grants.length, deliveries: undelivered.length, enqueued };
};
