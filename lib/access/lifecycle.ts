/**
 * Time turned into events. A grant's validity never depends on anything here (it is computed
 * from its times); these are the side effects: audit events, provisioning webhooks, notices.
 * Each happens once per (grant, kind, instant): the GrantLifecycleEvent row is the latch, so a
 * duplicate or retried job does nothing twice.
 */
import { queueChatSync } from "../chat/queue-chat-sync";
import { appendAuditEvent, appendAuditEvents } from "../audit";
import { getConfig } from "../config";
import { db, type Db } from "../db";
import { addOutboxJobs, bullJobId } from "../queue/outbox";
import { enqueueBulk } from "../queue/producer";
import { notificationJob, notify, notifyMany } from "../notify";
import { formatUtc } from "../time";
import { cancelScheduledWebhooks, loadWebhookGrant, queueGrantWebhooksMany, webhookJobId } from "../webhooks";
import { currentTime } from "../clock";

type TGrantTimes = { id: string; startsAt: Date; expiresAt: Date };

/** The jobs a grant's life needs, with ids tied to the instants they are about. */
export const lifecycleJobs = (grant: TGrantTimes) => {
  const warnAt = new Date(grant.expiresAt.getTime() - getConfig().grantWarningMs);
  return [
    {
      name: "grant.start" as const,
      runAt: grant.startsAt,
      jobId: `grant.start:${grant.id}:${grant.startsAt.getTime()}`,
    },
    ...(warnAt > grant.startsAt
      ? [{ name: "grant.warn" as const, runAt: warnAt, jobId: `grant.warn:${grant.id}:${grant.expiresAt.getTime()}` }]
      : []),
    {
      name: "grant.expire" as const,
      runAt: grant.expiresAt,
      jobId: `grant.expire:${grant.id}:${grant.expiresAt.getTime()}`,
    },
  ];
};

/**
 * In the transaction that creates a grant, or moves its end (`moved`, with the instant it
 * replaces): its start, warning and expiry jobs, and its start and end webhooks, scheduled for
 * their instants so the target hears of them without waiting for the lifecycle jobs (those
 * still queue them too: an endpoint registered later gets its delivery then, and an existing
 * one is not doubled).
 */
export const scheduleGrantLifecycle = async (
  tx: Db,
  grant: TGrantTimes,
  options: { moved?: { now: Date } } = {},
): Promise<void> => {
  await addOutboxJobs(
    tx,
    lifecycleJobs(grant)
      .filter((job) => !(options.moved && job.name === "grant.start"))
      .map((job) => ({ name: job.name, payload: { grantId: grant.id }, jobId: job.jobId, runAt: job.runAt })),
  );
  const loaded = (await loadWebhookGrant(tx, grant.id)) ?? undefined;
  if (options.moved)
    await cancelScheduledWebhooks(tx, {
      grantId: grant.id,
      now: options.moved.now,
      eventType: "grant.expired",
      reason: "expiry moved",
    });
  await queueGrantWebhooksMany(tx, [
    ...(options.moved
      ? []
      : [
          {
            grantId: grant.id,
            eventType: "grant.activated" as const,
            occurredAt: grant.startsAt,
            sendAfter: grant.startsAt,
            grant: loaded,
          },
        ]),
    {
      grantId: grant.id,
      eventType: "grant.expired" as const,
      occurredAt: grant.expiresAt,
      sendAfter: grant.expiresAt,
      grant: loaded,
    },
  ]);
};

const loadGrant = (tx: Db, grantId: string) =>
  tx.grant.findUnique({
    where: { id: grantId },
    include: {
      resource: { select: { key: true, name: true } },
      subject: { select: { id: true, email: true, name: true, issuer: true, subject: true } },
    },
  });
type TLoadedGrant = NonNullable<Awaited<ReturnType<typeof loadGrant>>>;

/** Takes the once-only latch; false when this side effect already happened. */
const latch = async (
  tx: Db,
  grantId: string,
  kind: "ACTIVATED" | "WARNED" | "EXPIRED" | "REVOKED" | "EXTENDED",
  at: Date,
): Promise<boolean> => {
  const { count } = await tx.grantLifecycleEvent.createMany({ data: [{ grantId, kind, at }], skipDuplicates: true });
  return count === 1;
};

const describe = (grant: TLoadedGrant) => `${grant.permissions.join(", ")} on ${grant.resource.name}`;

export type TLifecycleOutcome = "done" | "already-done" | "skipped" | "not-yet";

/** At startsAt: provisioning webhook, audit, notices (with other grants due, in one batch). */
export const activateGrant = (options: { grantId: string; now?: Date }): Promise<TLifecycleOutcome> =>
  runDue("ACTIVATED", options);

/** Before the end: the subject is told, with a way to ask for more time. */
export const warnGrant = async (options: { grantId: string; now?: Date }): Promise<TLifecycleOutcome> => {
  const now = options.now ?? currentTime();
  return db.$transaction(async (tx) => {
    const grant = await loadGrant(tx, options.grantId);
    if (!grant || grant.revokedAt || grant.expiresAt <= now) return "skipped";
    if (now < new Date(grant.expiresAt.getTime() - getConfig().grantWarningMs)) return "not-yet";
    if (!(await latch(tx, grant.id, "WARNED", grant.expiresAt))) return "already-done";
    const minutes = Math.max(1, Math.round((grant.expiresAt.getTime() - now.getTime()) / 60_000));
    await notify(tx, {
      recipients: { userIds: [grant.subjectId] },
      kind: "grant.ending",
      title: `Ending in ${minutes} min: ${describe(grant)}`,
      body: `Your access ends at ${formatUtc(grant.expiresAt)}. Ask for an extension if you need more time.`,
      link: `/grants/${grant.id}/extend`,
    });
    return "done";
  });
};

/** At expiresAt: deprovisioning webhook, audit, notices. A moved expiry makes the old job a no-op. */
export const expireGrant = (options: { grantId: string; now?: Date }): Promise<TLifecycleOutcome> =>
  runDue("EXPIRED", options);

// ---- batches ------------------------------------------------------------------------------
//
// A burst (a thousand grants ending within seconds) would otherwise be a thousand transactions,
// each queuing on the audit chain's lock. A job runs its own grant's side effect and those of
// up to BATCH_SIZE - 1 other grants that are due too, in one transaction with set-wise
// statements; their own jobs then find the latch taken and do nothing. Concurrent batches take
// different grants: each grant is claimed with a transaction-scoped advisory try-lock; a job
// whose own grant another batch holds waits (outside any transaction) until that batch is
// over, so it never reports "done" for work that then rolls back. The latch
// (GrantLifecycleEvent) still decides "once".

const BATCH_SIZE = 50;
const RECONCILE_CHUNK = 500;
const GRANT_CLAIM_LOCK = 7_311_002;
// Side effects older than this are history, not work (the reconciler uses the same window).
const LOOKBACK_MS = 7 * 24 * 3_600_000;

type TDueKind = "ACTIVATED" | "EXPIRED";

/** Other grants whose side effect is due and not done, oldest first, each claimed by this transaction. */
const claimOthers = async (tx: Db, kind: TDueKind, ownId: string, now: Date, limit: number): Promise<string[]> => {
  const since = new Date(now.getTime() - LOOKBACK_MS);
  // The inner query picks candidates; the outer one try-locks them one at a time until it has
  // `limit` (PostgreSQL does not push the lock call into a LIMITed subquery).
  const rows =
    kind === "EXPIRED"
      ? await tx.$queryRaw<Array<{ id: string }>>`
          select c.id from (
            select g.id from "Grant" g
             where g."revokedAt" is null and g."expiresAt" <= ${now}::timestamp(3) and g."expiresAt" > ${since}::timestamp(3) and g.id <> ${ownId}
               and not exists (select 1 from "GrantLifecycleEvent" e where e."grantId" = g.id and e.kind = 'EXPIRED' and e.at = g."expiresAt")
             order by g."expiresAt" limit ${limit * 4}
          ) c
          where pg_try_advisory_xact_lock(${GRANT_CLAIM_LOCK}::int, hashtext(c.id))
          limit ${limit}`
      : await tx.$queryRaw<Array<{ id: string }>>`
          select c.id from (
            select g.id from "Grant" g
             where g."revokedAt" is null and g."startsAt" <= ${now}::timestamp(3) and g."startsAt" > ${since}::timestamp(3) and g."expiresAt" > ${now}::timestamp(3) and g.id <> ${ownId}
               and not exists (select 1 from "GrantLifecycleEvent" e where e."grantId" = g.id and e.kind = 'ACTIVATED' and e.at = g."startsAt")
               and not exists (select 1 from "User" u where u.id = g."subjectId" and u."deactivatedAt" is not null)
             order by g."startsAt" limit ${limit * 4}
          ) c
          where pg_try_advisory_xact_lock(${GRANT_CLAIM_LOCK}::int, hashtext(c.id))
          limit ${limit}`;
  return rows.map((row) => row.id);
};

const isDue = (
  kind: TDueKind,
  grant: { startsAt: Date; expiresAt: Date; revokedAt: Date | null; subject: { deactivatedAt: Date | null } },
  now: Date,
): TLifecycleOutcome | "due" => {
  if (grant.revokedAt) return "skipped";
  if (kind === "EXPIRED") return now < grant.expiresAt ? "not-yet" : "due";
  if (grant.expiresAt <= now) return "skipped";
  // Deactivation revokes the person's grants; should one slip through, it still never starts.
  if (grant.subject.deactivatedAt) return "skipped";
  return now < grant.startsAt ? "not-yet" : "due";
};

// How long a job waits, outside any transaction, for the batch that holds its grant to finish.
const BUSY_WAIT_MS = 30_000;

const runDue = async (kind: TDueKind, options: { grantId: string; now?: Date }): Promise<TLifecycleOutcome> => {
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    const outcome = await runDueOnce(kind, options);
    if (outcome !== "busy") return outcome;
    // Another batch holds this grant: once it commits, the latch says "already done"; if it
    // rolls back, this job does the work. Waiting here holds no connection.
    if (Date.now() - started > BUSY_WAIT_MS)
      throw new Error(`grant ${options.grantId} held by another batch for ${BUSY_WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(25 * 2 ** attempt, 500)));
  }
};

const runDueOnce = async (
  kind: TDueKind,
  options: { grantId: string; now?: Date },
): Promise<TLifecycleOutcome | "busy"> => {
  const now = options.now ?? currentTime();
  return db.$transaction(
    async (tx) => {
      const [claim] = await tx.$queryRaw<
        Array<{ locked: boolean }>
      >`select pg_try_advisory_xact_lock(${GRANT_CLAIM_LOCK}::int, hashtext(${options.grantId})) as locked`;
      if (!claim?.locked) return "busy";
      const own = await tx.grant.findUnique({
        where: { id: options.grantId },
        select: { startsAt: true, expiresAt: true, revokedAt: true, subject: { select: { deactivatedAt: true } } },
      });
      if (!own) return "skipped";
      const ownState = isDue(kind, own, now);
      if (ownState !== "due") return ownState;

      const others = await claimOthers(tx, kind, options.grantId, now, BATCH_SIZE - 1);
      // The people before their grants, in id order, as a deactivation takes them (the person
      // for update, then their grants): the rows written below reference both, and taking them
      // the other way round deadlocked with a deactivation of the same person (bench:signals
      // found it). Waiting here, the grants below are read as the deactivation left them.
      await tx.$queryRaw`
        select u.id from "User" u
         where u.id in (select g."subjectId" from "Grant" g where g.id = any(${[options.grantId, ...others]}::text[]))
         order by u.id
           for key share`;
      const candidates = await tx.grant.findMany({
        where: { id: { in: [options.grantId, ...others] } },
        include: {
          resource: { select: { key: true, name: true } },
          subject: { select: { id: true, email: true, name: true, issuer: true, subject: true, deactivatedAt: true } },
        },
      });
      const due = candidates.filter((grant) => isDue(kind, grant, now) === "due");
      // The latch: only the rows this transaction inserted are its to act on.
      const latched = await tx.grantLifecycleEvent.createManyAndReturn({
        data: due.map((grant) => ({
          grantId: grant.id,
          kind,
          at: kind === "EXPIRED" ? grant.expiresAt : grant.startsAt,
        })),
        skipDuplicates: true,
        select: { grantId: true },
      });
      const won = new Set(latched.map((row) => row.grantId));
      const grants = due.filter((grant) => won.has(grant.id));
      if (grants.length === 0) return "already-done";

      if (kind === "EXPIRED") await sideEffectsOfExpiry(tx, grants, now);
      else await sideEffectsOfActivation(tx, grants);
      return won.has(options.grantId) ? "done" : "already-done";
    },
    // A batch does more than one grant's work: room for it on a busy machine.
    { timeout: 15_000 },
  );
};

type TDueGrant = TLoadedGrant;

const sideEffectsOfActivation = async (tx: Db, grants: TDueGrant[]): Promise<void> => {
  await queueGrantWebhooksMany(
    tx,
    grants.map((grant) => ({
      grantId: grant.id,
      eventType: "grant.activated" as const,
      occurredAt: grant.startsAt,
      grant,
    })),
  );
  await notifyMany(
    tx,
    grants.map((grant) => ({
      recipients: { userIds: [grant.subjectId], security: true },
      kind: "grant.started",
      title: `Access started: ${describe(grant)}`,
      body: `${grant.subject.name} holds ${describe(grant)} until ${formatUtc(grant.expiresAt)}.`,
      link: grant.requestId ? `/requests/${grant.requestId}` : "/",
    })),
  );
  // Last: the audit chain's lock is then held only for this insert and the commit.
  await appendAuditEvents(
    tx,
    grants.map((grant) => ({
      actorType: "SYSTEM" as const,
      actorId: "lifecycle",
      action: "grant.activated",
      targetType: "grant",
      targetId: grant.id,
      outcome: "ALLOWED" as const,
      details: { startsAt: grant.startsAt.toISOString() },
    })),
  );
};

const sideEffectsOfExpiry = async (tx: Db, grants: TDueGrant[], now: Date): Promise<void> => {
  await queueGrantWebhooksMany(
    tx,
    grants.map((grant) => ({
      grantId: grant.id,
      eventType: "grant.expired" as const,
      occurredAt: grant.expiresAt,
      grant,
    })),
  );
  await notifyMany(
    tx,
    grants.map((grant) => ({
      recipients: { userIds: [grant.subjectId], security: true },
      kind: "grant.ended",
      title: `Access ended: ${describe(grant)}`,
      body: `${grant.subject.name}'s ${describe(grant)} ended at ${formatUtc(grant.expiresAt)}.`,
      link: grant.requestId ? `/requests/${grant.requestId}` : "/",
    })),
  );
  await appendAuditEvents(
    tx,
    grants.map((grant) => ({
      actorType: "SYSTEM" as const,
      actorId: "lifecycle",
      action: "grant.expired",
      targetType: "grant",
      targetId: grant.id,
      outcome: "ALLOWED" as const,
      details: {
        expiresAt: grant.expiresAt.toISOString(),
        lagMs: now.getTime() - grant.expiresAt.getTime(),
        batch: grants.length,
      },
    })),
  );
};

/** Pending requests nobody decided in time expire; the requester is told. */
export const expireStaleRequests = async (
  options: { now?: Date; limit?: number } = {},
): Promise<{ expired: number }> => {
  const now = options.now ?? currentTime();
  // Pending past the window, and (ADR 0057) approved for someone who never acknowledged it.
  const unacknowledged = {
    status: "APPROVED" as const,
    filedById: { not: null },
    acknowledgedAt: null,
    grant: { is: null },
  };
  const stale = await db.accessRequest.findMany({
    where: { OR: [{ status: "PENDING" }, unacknowledged], decideBy: { lte: now } },
    select: { id: true },
    take: options.limit ?? 500,
  });
  let expired = 0;
  for (const { id } of stale) {
    await db.$transaction(async (tx) => {
      const before = await tx.accessRequest.findUnique({ where: { id }, select: { status: true } });
      const waitedForAcknowledgment = before?.status === "APPROVED";
      const { count } = await tx.accessRequest.updateMany({
        where: { id, OR: [{ status: "PENDING" }, unacknowledged], decideBy: { lte: now } },
        data: { status: "EXPIRED", decidedAt: now },
      });
      if (count === 0) return;
      const request = await tx.accessRequest.findUniqueOrThrow({
        where: { id },
        include: { resource: { select: { name: true } } },
      });
      await appendAuditEvent(tx, {
        actorType: "SYSTEM",
        actorId: "lifecycle",
        action: "request.expired",
        targetType: "request",
        targetId: id,
        outcome: "ALLOWED",
        reason: waitedForAcknowledgment
          ? "approved, but the person it was filed for did not acknowledge it within the policy's window"
          : "no decision within the policy's window",
      });
      await queueChatSync(tx, { requestId: id, now });
      await notify(tx, {
        recipients: { userIds: request.filedById ? [request.requesterId, request.filedById] : [request.requesterId] },
        kind: "request.expired",
        title: `Request expired: ${request.permissions.join(", ")} on ${request.resource.name}`,
        body: waitedForAcknowledgment
          ? "It was approved but not acknowledged in time, so no access was granted. Submit it again if it is still needed."
          : "Nobody decided on the request in time. Submit it again if the access is still needed.",
        link: `/requests/${id}`,
      });
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
export const reconcileLifecycle = async (
  options: { now?: Date } = {},
): Promise<{ grants: number; deliveries: number; notifications: number; enqueued: number; replaced: number }> => {
  const now = options.now ?? currentTime();
  const grants = await db.grant.findMany({
    where: {
      revokedAt: null,
      lifecycleEvents: { none: { kind: "EXPIRED" } },
      expiresAt: { gt: new Date(now.getTime() - 7 * 24 * 3_600_000) },
    },
    select: { id: true, startsAt: true, expiresAt: true, lifecycleEvents: { select: { kind: true } } },
  });
  const jobs: Parameters<typeof enqueueBulk>[0] = [];
  for (const grant of grants) {
    const done = new Set(grant.lifecycleEvents.map((event) => event.kind));
    for (const job of lifecycleJobs(grant)) {
      // A start that is over before it ran is skipped by its job anyway.
      if (job.name === "grant.start" && (done.has("ACTIVATED") || grant.expiresAt <= now)) continue;
      if (job.name === "grant.warn" && (done.has("WARNED") || grant.expiresAt <= now)) continue;
      jobs.push({
        name: job.name,
        payload: { grantId: grant.id },
        jobId: bullJobId(job.jobId),
        delay: Math.max(0, job.runAt.getTime() - now.getTime()),
      });
    }
  }
  // Deliveries whose jobs Redis lost: every undelivered one of an enabled endpoint gets its
  // job again (same id, so a job still in Redis is untouched).
  const undelivered = await db.webhookDelivery.findMany({
    where: {
      deliveredAt: null,
      cancelledAt: null,
      endpoint: { disabledAt: null },
      createdAt: { gt: new Date(now.getTime() - 30 * 24 * 3_600_000) },
    },
    select: { id: true, sendAfter: true },
  });
  for (const delivery of undelivered) {
    const delay = delivery.sendAfter ? Math.max(0, delivery.sendAfter.getTime() - now.getTime()) : 0;
    jobs.push({
      name: "webhook.deliver",
      payload: { deliveryId: delivery.id },
      jobId: bullJobId(webhookJobId(delivery.id)),
      delay,
    });
  }
  // Notice copies (e-mail, chat) of the last day whose jobs Redis lost.
  const unsent = await db.notification.findMany({
    where: {
      createdAt: { gt: new Date(now.getTime() - 24 * 3_600_000) },
      OR: [
        { channels: { has: "email" }, emailSentAt: null },
        { channels: { has: "chat" }, chatSentAt: null },
      ],
    },
    select: { id: true, channels: true, emailSentAt: true, chatSentAt: true },
  });
  for (const notice of unsent) {
    for (const channel of notice.channels) {
      if ((channel === "email" ? notice.emailSentAt : notice.chatSentAt) !== null) continue;
      const job = notificationJob(notice.id, channel);
      jobs.push({ name: job.name, payload: job.payload, jobId: bullJobId(job.jobId), delay: 0 });
    }
  }
  // In bulk: after a flush this is every job of every live grant.
  let replaced = 0;
  for (let at = 0; at < jobs.length; at += RECONCILE_CHUNK)
    replaced += (await enqueueBulk(jobs.slice(at, at + RECONCILE_CHUNK), { replaceFinished: true })).replaced;
  const enqueued = jobs.length;
  return { grants: grants.length, deliveries: undelivered.length, notifications: unsent.length, enqueued, replaced };
};
