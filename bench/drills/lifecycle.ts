/**
 * Grants scheduled to start and end during a drill, and the count of every side effect they
 * must have exactly once: the lifecycle latch (GrantLifecycleEvent), the audit event, the
 * provisioning webhook (at a receiver that verifies each signature), the subject's in-app
 * notice and its e-mail (at the stack's SMTP sink, by recipient and subject). Used by the Redis-flush and worker-kill drills.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { sleep, stats, type TStats } from "../support";

export type TGrantPlan = { startsAt: Date; expiresAt: Date };

/** `count` grants whose starts are spread evenly over `spreadMs` from `firstStart`, each lasting `durationMs`. */
export const planGrants = (options: {
  count: number;
  firstStart: number;
  spreadMs: number;
  durationMs: number;
}): TGrantPlan[] =>
  Array.from({ length: options.count }, (_, index) => {
    const startsAt = options.firstStart + Math.floor((index * options.spreadMs) / options.count);
    return { startsAt: new Date(startsAt), expiresAt: new Date(startsAt + options.durationMs) };
  });
type TReceipt = { type: string; grantId: string; webhookId: string; receivedAt: number };

export const setUpLifecycle = async (options: {
  plans: TGrantPlan[];
  emails: Map<string, number>;
  emailIds: Map<string, Set<string>>;
}) => {
  const { db } = await import("../../lib/db");
  const { createActor, createUser } = await import("../../lib/testing/fixtures");
  const { createEndpoint, verifyWebhook } = await import("../../lib/webhooks");
  const { scheduleGrantLifecycle } = await import("../../lib/access/lifecycle");

  const receipts: TReceipt[] = [];
  let invalid = 0;
  let secret = "";
  const receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const verdict = verifyWebhook({
        secret,
        headers: request.headers as Record<string, string | string[] | undefined>,
        body,
      });
      if (!verdict.ok) {
        invalid += 1;
        response.writeHead(401).end();
        return;
      }
      const payload = JSON.parse(body.toString("utf8")) as { type: string; data: { grantId: string } };
      receipts.push({
        type: payload.type,
        grantId: payload.data.grantId,
        webhookId: verdict.id,
        receivedAt: Date.now(),
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const receiverPort = (receiver.address() as AddressInfo).port;

  const admin = await createActor({ groups: ["portal-admins"] });
  const resourceKey = `drill-${randomBytes(3).toString("hex")}`;
  const resource = await db.resource.create({
    data: { key: resourceKey, name: "Drill resource", environment: "production", permissions: ["read"] },
  });
  // Production accepts only https endpoints; the drill's receiver is plain HTTP on loopback, so
  // the row is pointed at it after the app created it (a drill-only shortcut, not a path users have).
  const endpoint = await createEndpoint({
    actor: admin,
    resourceKey,
    url: `https://127.0.0.1:${receiverPort}/hook`,
    events: ["grant.activated", "grant.expired"],
  });
  await db.webhookEndpoint.update({
    where: { id: endpoint.endpointId },
    data: { url: `http://127.0.0.1:${receiverPort}/hook` },
  });
  secret = endpoint.secret;

  // One subject per grant, so every notice and e-mail belongs to exactly one grant.
  const grants: Array<{ id: string; subjectId: string; startsAt: number; expiresAt: number }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (next < options.plans.length) {
        const plan = options.plans[next++] as TGrantPlan;
        const subject = await createUser({ name: `Drill subject ${next}` });
        const grant = await db.$transaction(async (tx) => {
          const created = await tx.grant.create({
            data: {
              subjectId: subject.id,
              resourceId: resource.id,
              permissions: ["read"],
              startsAt: plan.startsAt,
              expiresAt: plan.expiresAt,
            },
            select: { id: true, startsAt: true, expiresAt: true },
          });
          await scheduleGrantLifecycle(tx, created);
          return created;
        });
        grants.push({
          id: grant.id,
          subjectId: subject.id,
          startsAt: grant.startsAt.getTime(),
          expiresAt: grant.expiresAt.getTime(),
        });
      }
    }),
  );

  const expectedWebhooks = grants.length * 2;
  const received = (type?: string) => receipts.filter((receipt) => !type || receipt.type === type).length;

  /** Until every webhook arrived and nothing is owed any more (or the deadline). */
  const settle = async (deadline: number): Promise<void> => {
    while (Date.now() < deadline) {
      await sleep(500);
      if (received() < expectedWebhooks) continue;
      const undelivered = await db.webhookDelivery.count({ where: { deliveredAt: null, cancelReason: null } });
      const unsent = await db.notification.count({
        where: {
          userId: { in: grants.map((grant) => grant.subjectId) },
          channels: { has: "email" },
          emailSentAt: null,
        },
      });
      const outbox = await db.outboxJob.count({ where: { dispatchedAt: null } });
      if (undelivered === 0 && unsent === 0 && outbox === 0) {
        // A late duplicate (a retried job whose first run did get through) still counts.
        await sleep(3_000);
        return;
      }
    }
  };

  const verify = async (): Promise<{
    table: Array<Record<string, string | number>>;
    numbers: Record<string, number | string>;
    violations: string[];
    lag: { activated: TStats | null; expired: TStats | null };
  }> => {
    const ids = grants.map((grant) => grant.id);
    const subjects = new Map(grants.map((grant) => [grant.subjectId, grant.id]));
    const latches = await db.grantLifecycleEvent.groupBy({
      by: ["grantId", "kind"],
      where: { grantId: { in: ids } },
      _count: true,
    });
    const audits = await db.auditEvent.groupBy({
      by: ["targetId", "action"],
      where: { targetId: { in: ids }, action: { in: ["grant.activated", "grant.expired"] } },
      _count: true,
    });
    const notices = await db.notification.groupBy({
      by: ["userId", "kind"],
      where: { userId: { in: [...subjects.keys()] }, kind: { in: ["grant.started", "grant.ended"] } },
      _count: true,
    });
    const emailRows = await db.notification.findMany({
      where: { userId: { in: [...subjects.keys()] }, kind: { in: ["grant.started", "grant.ended"] } },
      select: { title: true, channels: true, emailSentAt: true, user: { select: { email: true } } },
    });

    type TRow = { effect: string; expected: number; once: number; missing: number; doubled: number };
    const row = (effect: string, counts: Map<string, number>, keys: string[]): TRow => {
      let once = 0;
      let missing = 0;
      let doubled = 0;
      for (const key of keys) {
        const n = counts.get(key) ?? 0;
        if (n === 0) missing += 1;
        else if (n === 1) once += 1;
        else doubled += n - 1;
      }
      return { effect, expected: keys.length, once, missing, doubled };
    };
    const per = (kind: string) => ids.map((id) => `${id}|${kind}`);
    const latchCounts = new Map(latches.map((entry) => [`${entry.grantId}|${entry.kind}`, entry._count]));
    const auditCounts = new Map(audits.map((entry) => [`${entry.targetId}|${entry.action}`, entry._count]));
    const noticeCounts = new Map(notices.map((entry) => [`${subjects.get(entry.userId)}|${entry.kind}`, entry._count]));
    // A webhook is one event per webhook-id (Standard Webhooks: receivers deduplicate on it); a
    // second POST with the same id is a redelivery, counted apart.
    const webhookIds = new Map<string, Set<string>>();
    for (const receipt of receipts)
      webhookIds.set(
        `${receipt.grantId}|${receipt.type}`,
        (webhookIds.get(`${receipt.grantId}|${receipt.type}`) ?? new Set()).add(receipt.webhookId),
      );
    const webhookCounts = new Map([...webhookIds].map(([key, set]) => [key, set.size]));
    const webhookRedeliveries = receipts.length - [...webhookIds.values()].reduce((sum, set) => sum + set.size, 0);
    const emailCounts = new Map([...options.emailIds].map(([key, set]) => [key, set.size]));
    const emailsSent = [...options.emails.values()].reduce((sum, n) => sum + n, 0);
    const emailResends = emailsSent - [...emailCounts.values()].reduce((sum, n) => sum + n, 0);
    // E-mails at the sink, by recipient and subject line, against the notices that asked for one.
    const emailKeys = emailRows
      .filter((entry) => entry.channels.includes("email"))
      .map((entry) => `${entry.user.email} | ${entry.title}`);
    const rows: TRow[] = [
      row("latch ACTIVATED", latchCounts, per("ACTIVATED")),
      row("latch EXPIRED", latchCounts, per("EXPIRED")),
      row("audit grant.activated", auditCounts, per("grant.activated")),
      row("audit grant.expired", auditCounts, per("grant.expired")),
      row("webhook grant.activated (distinct id)", webhookCounts, per("grant.activated")),
      row("webhook grant.expired (distinct id)", webhookCounts, per("grant.expired")),
      row("notice grant.started", noticeCounts, per("grant.started")),
      row("notice grant.ended", noticeCounts, per("grant.ended")),
      row("e-mail (distinct Message-ID)", emailCounts, [...new Set(emailKeys)]),
    ];
    const violations: string[] = [];
    for (const entry of rows) {
      if (entry.missing > 0) violations.push(`${entry.effect}: ${entry.missing} lost`);
      if (entry.doubled > 0) violations.push(`${entry.effect}: ${entry.doubled} doubled`);
    }
    if (invalid > 0) violations.push(`${invalid} webhooks with an invalid signature`);
    const byGrant = new Map(grants.map((grant) => [grant.id, grant]));
    const firstReceipt = (type: string) => {
      const first = new Map<string, number>();
      for (const receipt of receipts)
        if (receipt.type === type && !first.has(receipt.grantId)) first.set(receipt.grantId, receipt.receivedAt);
      return first;
    };
    const lagOf = (type: string, instant: (grant: { startsAt: number; expiresAt: number }) => number) =>
      stats(
        [...firstReceipt(type)].flatMap(([grantId, at]) => {
          const grant = byGrant.get(grantId);
          return grant ? [at - instant(grant)] : [];
        }),
      );
    return {
      table: rows.map((entry) => ({ ...entry })),
      numbers: {
        grants: grants.length,
        webhookPosts: receipts.length,
        webhookRedeliveriesSameId: webhookRedeliveries,
        invalidSignatures: invalid,
        emailsSent,
        emailResendsSameMessageId: emailResends,
      },
      violations,
      lag: {
        activated: lagOf("grant.activated", (grant) => grant.startsAt),
        expired: lagOf("grant.expired", (grant) => grant.expiresAt),
      },
    };
  };

  return {
    grants,
    receipts,
    received,
    expectedWebhooks,
    settle,
    verify,
    close: async () => {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    },
  };
};
