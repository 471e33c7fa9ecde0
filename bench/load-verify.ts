/**
 * The load bench's proof that nothing was lost or doubled: every request a client got an id for,
 * checked against what the domain writes in the same transaction (lib/access/request-access.ts,
 * decide-request.ts, create-grant.ts, lib/access/lifecycle.ts, lib/notify): the request row, its
 * audit events, its approvals, its notices and their e-mail jobs, its grant (exactly one when
 * approved) with its lifecycle jobs in the outbox and in BullMQ, its start latch and its
 * provisioning webhooks; then the whole audit chain.
 */
import { Queue } from "bullmq";
import { verifyAuditChain } from "../lib/audit/verify-chain";
import { db } from "../lib/db";
import { emailJobId } from "../lib/notify/notify";
import { bullJobId } from "../lib/queue/outbox";

export type TSubmitted = { requestId: string; requesterEmail: string; kind: TPolicyKind };
export type TPolicyKind = "auto" | "one" | "two";
export type TDecided = { requestId: string; approverEmail: string; decision: "APPROVE" | "DENY"; status: string };

export type TVerification = {
  /** Each kind of thing a committed change owed and the database, Redis or the receiver lacks. */
  lost: Record<string, number>;
  /** Each kind of thing that exists more often than once. */
  doubled: Record<string, number>;
  /** Facts, not failures: how the submitted requests ended, what was checked. */
  facts: Record<string, number>;
  /** Up to 20 concrete findings, for a human to look at. */
  examples: string[];
  chain: { ok: boolean; checked: number; break: string | null };
};

const bump = (counter: Record<string, number>, key: string, by = 1): void => {
  counter[key] = (counter[key] ?? 0) + by;
};

const countBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

/** Access checks counted by the services API's aggregated audit events so far. */
export const sumCheckAudit = async (): Promise<number> => {
  const events = await db.auditEvent.findMany({
    where: { action: "access.check.aggregate" },
    select: { details: true },
  });
  return events.reduce((sum, event) => sum + Number((event.details as { count?: unknown }).count ?? 0), 0);
};

export const verifyNothingLost = async (options: {
  submitted: readonly TSubmitted[];
  decided: readonly TDecided[];
  /** Approvers per policy kind's team, by request id (who request-access.ts notifies). */
  approversToNotify: (requestId: string) => number;
  /** webhook-id → how many times the receiver accepted it. */
  webhooksReceived: ReadonlyMap<string, number>;
  redis: { url: string; prefix: string };
  /** The `jti` of every token a service client was issued. */
  tokens: readonly string[];
  /** Access checks answered 2xx, and those answered otherwise (counted by the server too). */
  checks: { ok: number; failed: number };
}): Promise<TVerification> => {
  const lost: Record<string, number> = {};
  const doubled: Record<string, number> = {};
  const facts: Record<string, number> = {};
  const examples: string[] = [];
  const note = (counter: Record<string, number>, key: string, detail: string, by = 1): void => {
    bump(counter, key, by);
    if (examples.length < 20) examples.push(`${counter === lost ? "LOST" : "DOUBLED"} ${key}: ${detail}`);
  };
  const check = (key: string, actual: number, expected: number, detail: string): void => {
    if (actual < expected) note(lost, key, `${detail} (${actual} of ${expected})`, expected - actual);
    else if (actual > expected) note(doubled, key, `${detail} (${actual}, expected ${expected})`, actual - expected);
  };

  const submittedIds = options.submitted.map((entry) => entry.requestId);
  const distinct = new Set(submittedIds);
  // One id answered twice would be one request reported as two submissions.
  if (distinct.size !== submittedIds.length)
    note(
      doubled,
      "request ids answered",
      `${submittedIds.length - distinct.size} ids came back twice`,
      submittedIds.length - distinct.size,
    );
  facts.submitted = distinct.size;

  const requests = await db.accessRequest.findMany({
    where: { id: { in: [...distinct] } },
    select: {
      id: true,
      status: true,
      requester: { select: { email: true } },
      approvals: { select: { decision: true, approver: { select: { email: true } } } },
      grant: { select: { id: true, resourceId: true, startsAt: true, expiresAt: true } },
    },
  });
  const byId = new Map(requests.map((request) => [request.id, request]));
  // Requests in the database no client got an id for (a response lost after the commit).
  facts.requestsWithoutClientId = await db.accessRequest.count({ where: { id: { notIn: [...distinct] } } });

  const audit = await db.auditEvent.findMany({
    where: { targetType: "request", targetId: { in: [...distinct] }, outcome: "ALLOWED" },
    select: { action: true, targetId: true, actorId: true },
  });
  const auditCount = countBy(audit, (event) => `${event.targetId}|${event.action}`);
  const approverIds = new Map(
    (await db.user.findMany({ select: { id: true, email: true } })).map((user) => [user.id, user.email]),
  );
  const decisionAudit = countBy(
    audit.filter((event) => event.action === "request.approve" || event.action === "request.deny"),
    (event) => `${event.targetId}|${approverIds.get(event.actorId ?? "") ?? "?"}|${event.action}`,
  );
  const notices = await db.notification.findMany({
    where: { link: { in: [...distinct].map((id) => `/requests/${id}`) } },
    select: { link: true, kind: true },
  });
  const noticeCount = countBy(notices, (notice) => `${notice.link?.slice("/requests/".length)}|${notice.kind}`);

  for (const entry of options.submitted) {
    const request = byId.get(entry.requestId);
    if (!request) {
      note(lost, "requests", `${entry.requestId} by ${entry.requesterEmail}`);
      continue;
    }
    if (request.requester.email !== entry.requesterEmail)
      note(
        lost,
        "request owner",
        `${entry.requestId} belongs to ${request.requester.email}, not ${entry.requesterEmail}`,
      );
    bump(facts, `status ${request.status.toLowerCase()} (${entry.kind})`);
    const id = request.id;
    check("request.create audit events", auditCount.get(`${id}|request.create`) ?? 0, 1, id);
    check(
      "request.approved audit events",
      auditCount.get(`${id}|request.approved`) ?? 0,
      request.status === "APPROVED" ? 1 : 0,
      id,
    );
    check("grants", request.grant ? 1 : 0, request.status === "APPROVED" ? 1 : 0, id);
    if (entry.kind !== "auto")
      check(
        "request.waiting notices",
        noticeCount.get(`${id}|request.waiting`) ?? 0,
        options.approversToNotify(id),
        id,
      );
    if (entry.kind !== "auto")
      check(
        "request.approved notices",
        noticeCount.get(`${id}|request.approved`) ?? 0,
        request.status === "APPROVED" ? 1 : 0,
        id,
      );
    check(
      "request.denied notices",
      noticeCount.get(`${id}|request.denied`) ?? 0,
      request.status === "DENIED" ? 1 : 0,
      id,
    );
    // Every approval row has its audit event, once.
    for (const approval of request.approvals) {
      check(
        "decision audit events",
        decisionAudit.get(
          `${id}|${approval.approver.email}|${approval.decision === "APPROVE" ? "request.approve" : "request.deny"}`,
        ) ?? 0,
        1,
        `${id} by ${approval.approver.email}`,
      );
    }
    check(
      "approvals per approver",
      request.approvals.length,
      new Set(request.approvals.map((approval) => approval.approver.email)).size,
      id,
    );
  }

  // Every decision a client was told succeeded is there, as decided.
  for (const decision of options.decided) {
    const request = byId.get(decision.requestId);
    const found = request?.approvals.some(
      (approval) => approval.approver.email === decision.approverEmail && approval.decision === decision.decision,
    );
    if (!found) note(lost, "decisions", `${decision.decision} of ${decision.requestId} by ${decision.approverEmail}`);
    else if (decision.status !== "PENDING" && request?.status !== decision.status)
      note(
        lost,
        "decision outcomes",
        `${decision.requestId}: client saw ${decision.status}, database has ${request?.status}`,
      );
  }
  const confirmed = new Set(options.decided.map((decision) => `${decision.requestId}|${decision.approverEmail}`));
  facts.decisionsConfirmedToClients = confirmed.size;
  facts.approvalRowsWithoutClientConfirmation = requests.flatMap((request) =>
    request.approvals.filter((approval) => !confirmed.has(`${request.id}|${approval.approver.email}`)),
  ).length;

  // Grants: their audit event, their start/expiry jobs (outbox, then BullMQ), the start latch,
  // their webhooks (the start delivered exactly once, the end scheduled).
  const grants = requests.flatMap((request) => (request.grant ? [request.grant] : []));
  facts.grants = grants.length;
  const grantIds = grants.map((grant) => grant.id);
  const grantAudit = countBy(
    await db.auditEvent.findMany({
      where: { action: "grant.create", targetId: { in: grantIds } },
      select: { targetId: true },
    }),
    (event) => event.targetId ?? "",
  );
  const outbox = await db.outboxJob.findMany({
    where: { queue: "grant-lifecycle" },
    select: { jobId: true, dispatchedAt: true },
  });
  const outboxCount = countBy(outbox, (row) => row.jobId);
  const undispatched = new Set(outbox.filter((row) => row.dispatchedAt === null).map((row) => row.jobId));
  const activations = countBy(
    await db.grantLifecycleEvent.findMany({
      where: { grantId: { in: grantIds }, kind: "ACTIVATED" },
      select: { grantId: true },
    }),
    (event) => event.grantId,
  );
  const deliveries = await db.webhookDelivery.findMany({
    where: { grantId: { in: grantIds } },
    select: { grantId: true, eventType: true, eventId: true, deliveredAt: true, cancelledAt: true, sendAfter: true },
  });
  const deliveryCount = countBy(deliveries, (delivery) => `${delivery.grantId}|${delivery.eventType}`);
  // Each resource's endpoints (all subscribed to starts and ends) owe one delivery per grant.
  const endpointsOf = countBy(
    await db.webhookEndpoint.findMany({ select: { resourceId: true } }),
    (endpoint) => endpoint.resourceId,
  );
  const lifecycle = new Queue("grant-lifecycle", {
    connection: { url: options.redis.url, maxRetriesPerRequest: null },
    prefix: options.redis.prefix,
  });
  lifecycle.on("error", () => undefined);
  const now = Date.now();
  try {
    for (const grant of grants) {
      check("grant.create audit events", grantAudit.get(grant.id) ?? 0, 1, grant.id);
      for (const [name, at] of [
        ["grant.start", grant.startsAt],
        ["grant.expire", grant.expiresAt],
      ] as const) {
        const jobId = bullJobId(`${name}:${grant.id}:${at.getTime()}`);
        check(`${name} outbox rows`, outboxCount.get(jobId) ?? 0, 1, jobId);
        if (undispatched.has(jobId)) note(lost, `${name} outbox rows never relayed`, jobId);
        // The start has run (and may be removed on completion); the expiry must wait in BullMQ.
        if (name === "grant.expire" && grant.expiresAt.getTime() > now) {
          const job = await lifecycle.getJob(jobId);
          if (!job) note(lost, "grant.expire jobs in BullMQ", jobId);
        }
      }
      if (grant.startsAt.getTime() <= now)
        check("grant start side effects (latch)", activations.get(grant.id) ?? 0, 1, grant.id);
      const endpoints = endpointsOf.get(grant.resourceId) ?? 0;
      check(
        "grant.activated webhook deliveries",
        deliveryCount.get(`${grant.id}|grant.activated`) ?? 0,
        endpoints,
        grant.id,
      );
      check(
        "grant.expired webhook deliveries (scheduled)",
        deliveryCount.get(`${grant.id}|grant.expired`) ?? 0,
        endpoints,
        grant.id,
      );
    }
  } finally {
    await lifecycle.close();
  }
  for (const delivery of deliveries) {
    const due = !delivery.cancelledAt && delivery.sendAfter !== null && delivery.sendAfter.getTime() <= now;
    if (!due) continue;
    bump(facts, "webhooks due");
    if (!delivery.deliveredAt)
      note(lost, "webhooks due but not delivered", `${delivery.eventType} ${delivery.eventId}`);
    check(
      "webhooks received by the endpoint",
      options.webhooksReceived.get(delivery.eventId) ?? 0,
      1,
      `${delivery.eventType} ${delivery.eventId}`,
    );
  }

  // Every notice's e-mail copy: one outbox row, sent once the worker drained.
  const emailed = await db.notification.findMany({
    where: { channels: { has: "email" } },
    select: { id: true, emailSentAt: true },
  });
  facts.notificationEmails = emailed.length;
  const emailJobs = countBy(
    await db.outboxJob.findMany({ where: { name: "notify.send" }, select: { jobId: true } }),
    (row) => row.jobId,
  );
  for (const notice of emailed) {
    check("notification e-mail outbox rows", emailJobs.get(bullJobId(emailJobId(notice.id))) ?? 0, 1, notice.id);
    if (!notice.emailSentAt) note(lost, "notification e-mails not sent", notice.id);
  }

  // Services API: each token issuance is one audit event (its jti); checks are audited in
  // aggregate (count per client, outcome and window: ADR 0008), so the counts must add up.
  const tokenEvents = countBy(
    await db.auditEvent.findMany({
      where: { action: "service.token.issue", outcome: "ALLOWED" },
      select: { details: true },
    }),
    (event) => String((event.details as { jti?: unknown }).jti),
  );
  for (const jti of options.tokens) check("service.token.issue audit events", tokenEvents.get(jti) ?? 0, 1, jti);
  const checkCount = await sumCheckAudit();
  facts.accessChecksAudited = checkCount;
  if (checkCount < options.checks.ok)
    note(
      lost,
      "access checks in the aggregated audit",
      `${checkCount} audited, ${options.checks.ok} answered`,
      options.checks.ok - checkCount,
    );
  else if (checkCount > options.checks.ok + options.checks.failed)
    note(
      doubled,
      "access checks in the aggregated audit",
      `${checkCount} audited, ${options.checks.ok + options.checks.failed} sent`,
      checkCount - options.checks.ok - options.checks.failed,
    );

  const chain = await verifyAuditChain();
  facts.auditEvents = chain.checked;
  return {
    lost,
    doubled,
    facts,
    examples,
    chain: { ok: chain.ok, checked: chain.checked, break: chain.break ? JSON.stringify(chain.break) : null },
  };
};
