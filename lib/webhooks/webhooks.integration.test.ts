import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, createUser, uniqueId } from "../testing/fixtures";
import { freePort } from "../testing/free-port";
import {
  createEndpoint,
  decryptSecret,
  deliverWebhook,
  disableEndpoint,
  listDeliveries,
  listEndpoints,
  queueGrantWebhooks,
  type TWebhookPayload,
  verifyWebhook,
  WEBHOOK_EVENT_TYPES,
  WebhookDeliveryError,
  webhookEventId,
  WebhookNotDueError,
} from "./index";
import { expireGrant, revokeGrant, scheduleGrantLifecycle } from "../access";
import { applyExtension } from "../access/extend-grant";

/** A real receiver on loopback: verifies each request with the endpoint's secret, as a target system would. */
type TReceived = { path: string; headers: IncomingHttpHeaders; body: string; verified: boolean; reason?: string };

const receiver = {
  server: undefined as Server | undefined,
  origin: "",
  received: [] as TReceived[],
  secrets: new Map<string, string>(),
  status: new Map<string, number>(),
};

before(async () => {
  receiver.server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      const body = Buffer.concat(chunks).toString("utf8");
      const secret = receiver.secrets.get(path);
      const result = secret
        ? verifyWebhook({ secret, headers: request.headers, body })
        : { ok: false as const, reason: "no secret for path" };
      receiver.received.push({
        path,
        headers: request.headers,
        body,
        verified: result.ok,
        ...(result.ok ? {} : { reason: result.reason }),
      });
      const status = result.ok ? (receiver.status.get(path) ?? 204) : 401;
      response.writeHead(status, { "content-type": "text/plain" });
      response.end(status >= 300 ? `receiver says ${status}` : "");
    });
  });
  await new Promise<void>((resolve) => receiver.server?.listen(0, "127.0.0.1", resolve));
  receiver.origin = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => (receiver.server ? receiver.server.close(() => resolve()) : resolve()));
  await disconnectDb();
});

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

const admin = () => createActor({ groups: ["portal-admins"] });

const newResource = async () =>
  db.resource.create({
    data: { key: uniqueId("wh"), name: "Orders DB", environment: "production", permissions: ["read", "write"] },
  });

const newGrant = async (resourceId: string) => {
  const subject = await createUser();
  const now = Date.now();
  return db.grant.create({
    data: {
      subjectId: subject.id,
      resourceId,
      permissions: ["read"],
      startsAt: new Date(now - 60_000),
      expiresAt: new Date(now + 3_600_000),
    },
    include: { subject: true },
  });
};

/** Registers an endpoint whose path the receiver knows the secret of. */
const endpointFor = async (actor: TUserActor, resourceKey: string, events: string[] = [...WEBHOOK_EVENT_TYPES]) => {
  const path = `/${uniqueId("hook")}`;
  const created = await createEndpoint({ actor, resourceKey, url: `${receiver.origin}${path}`, events });
  receiver.secrets.set(path, created.secret);
  return { ...created, path };
};

const queue = (grantId: string, eventType: (typeof WEBHOOK_EVENT_TYPES)[number], occurredAt: Date) =>
  db.$transaction((tx) => queueGrantWebhooks(tx, { grantId, eventType, occurredAt }));

const receivedAt = (path: string) => receiver.received.filter((entry) => entry.path === path);

describe("webhook endpoints: administration", () => {
  it("creates an endpoint, shows its secret once and stores it only encrypted, with an audit event", async () => {
    const actor = await admin();
    const resource = await newResource();
    const { endpointId, secret } = await createEndpoint({
      actor,
      resourceKey: resource.key,
      url: "https://hooks.example.com/jit",
      events: ["grant.revoked", "grant.activated"],
    });
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);

    const row = await db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    assert.equal(row.resourceId, resource.id);
    assert.deepEqual(row.events, ["grant.activated", "grant.revoked"]);
    assert.notEqual(row.secretEncrypted, secret);
    assert.ok(!row.secretEncrypted.includes(secret.slice("whsec_".length)), "the plaintext key is in the row");
    assert.equal(decryptSecret(row.secretEncrypted), secret);

    const [event, ...more] = await db.auditEvent.findMany({
      where: { action: "webhook.endpoint.create", targetId: endpointId },
    });
    assert.equal(more.length, 0);
    assert.equal(event?.actorId, actor.userId);
    assert.equal(event?.outcome, "ALLOWED");
    assert.ok(!JSON.stringify(event?.details).includes(secret.slice(6)), "the secret is in the audit log");

    const listed = await listEndpoints({ actor, resourceKey: resource.key });
    assert.deepEqual(
      listed.map((endpoint) => endpoint.id),
      [endpointId],
    );
    assert.ok(!("secretEncrypted" in (listed[0] ?? {})), "list exposes the encrypted secret");
  });

  it("refuses bad input with field reasons and writes nothing", async () => {
    const actor = await admin();
    const resource = await newResource();
    const cases: Array<{ url: string; events: string[]; field: string }> = [
      { url: "ftp://hooks.example.com/x", events: ["grant.expired"], field: "url" },
      { url: "not a url", events: ["grant.expired"], field: "url" },
      { url: "https://user:pw@hooks.example.com/", events: ["grant.expired"], field: "url" },
      { url: "https://hooks.example.com/", events: [], field: "events" },
      { url: "https://hooks.example.com/", events: ["grant.deleted"], field: "events" },
    ];
    for (const { url, events, field } of cases) {
      await assert.rejects(
        createEndpoint({ actor, resourceKey: resource.key, url, events }),
        (error: unknown) => error instanceof AppError && error.code === "INVALID_INPUT" && field in error.fields,
        `${url} ${events.join(",")}`,
      );
    }
    await assert.rejects(
      createEndpoint({
        actor,
        resourceKey: uniqueId("missing"),
        url: "https://hooks.example.com/",
        events: ["grant.expired"],
      }),
      isCode("NOT_FOUND"),
    );
    assert.equal(await db.webhookEndpoint.count({ where: { resourceId: resource.id } }), 0);
  });

  it("refuses non-administrators (FORBIDDEN, audited) for every operation, and changes nothing", async () => {
    const owner = await admin();
    const resource = await newResource();
    const { endpointId } = await createEndpoint({
      actor: owner,
      resourceKey: resource.key,
      url: "https://hooks.example.com/a",
      events: ["grant.expired"],
    });
    const engineer = await createActor({ groups: ["engineers", "db-approvers"] });

    await assert.rejects(
      createEndpoint({
        actor: engineer,
        resourceKey: resource.key,
        url: "https://evil.example.com/",
        events: ["grant.expired"],
      }),
      isCode("FORBIDDEN"),
    );
    await assert.rejects(listEndpoints({ actor: engineer, resourceKey: resource.key }), isCode("FORBIDDEN"));
    await assert.rejects(
      disableEndpoint({ actor: engineer, resourceKey: resource.key, endpointId }),
      isCode("FORBIDDEN"),
    );
    await assert.rejects(listDeliveries({ actor: engineer, endpointId }), isCode("FORBIDDEN"));

    const denials = await db.auditEvent.findMany({ where: { action: "authz.denied", actorId: engineer.userId } });
    assert.equal(denials.length, 4);
    assert.ok(denials.every((event) => event.outcome === "DENIED" && event.reason === "not allowed: catalog.manage"));
    const endpoints = await db.webhookEndpoint.findMany({ where: { resourceId: resource.id } });
    assert.deepEqual(
      endpoints.map((endpoint) => [endpoint.id, endpoint.disabledAt]),
      [[endpointId, null]],
    );
  });

  it("disables an endpoint once (audited once), only under its own resource", async () => {
    const actor = await admin();
    const resource = await newResource();
    const other = await newResource();
    const { endpointId } = await createEndpoint({
      actor,
      resourceKey: resource.key,
      url: "https://hooks.example.com/b",
      events: ["grant.expired"],
    });

    await assert.rejects(disableEndpoint({ actor, resourceKey: other.key, endpointId }), isCode("NOT_FOUND"));
    await assert.rejects(listDeliveries({ actor, endpointId, resourceKey: other.key }), isCode("NOT_FOUND"));
    assert.deepEqual(await disableEndpoint({ actor, resourceKey: resource.key, endpointId }), { disabled: true });
    assert.deepEqual(await disableEndpoint({ actor, resourceKey: resource.key, endpointId }), { disabled: false });
    assert.equal(await db.auditEvent.count({ where: { action: "webhook.endpoint.disable", targetId: endpointId } }), 1);
    assert.ok((await listEndpoints({ actor, resourceKey: resource.key }))[0]?.disabledAt instanceof Date);
  });
});

describe("webhook deliveries (real HTTP receiver on loopback)", () => {
  it("queues in the caller's transaction and delivers a correctly signed body; the delivery is marked delivered", async () => {
    const actor = await admin();
    const resource = await newResource();
    const grant = await newGrant(resource.id);
    const { endpointId, path } = await endpointFor(actor, resource.key);
    const occurredAt = new Date(grant.startsAt.getTime());

    const { deliveryIds } = await queue(grant.id, "grant.activated", occurredAt);
    assert.equal(deliveryIds.length, 1);
    const deliveryId = deliveryIds[0] as string;
    const jobs = await db.outboxJob.findMany({
      where: { name: "webhook.deliver", payload: { equals: { deliveryId } } },
    });
    assert.equal(jobs.length, 1, "one outbox job per delivery");
    assert.equal(jobs[0]?.queue, "webhooks");
    assert.ok(jobs[0]?.jobId.includes(deliveryId));

    const result = await deliverWebhook({ deliveryId });
    assert.deepEqual(result, { outcome: "delivered", status: 204 });

    const [got, ...extra] = receivedAt(path);
    assert.equal(extra.length, 0);
    assert.ok(got?.verified, `receiver refused the signature: ${got?.reason}`);
    const eventId = `evt_${grant.id}_grant.activated_${occurredAt.getTime()}`;
    assert.equal(got.headers["webhook-id"], eventId);
    assert.equal(got.headers["content-type"], "application/json");
    assert.match(String(got.headers["user-agent"]), /jit-access-webhooks/);
    assert.match(String(got.headers["webhook-signature"]), /^v1,[A-Za-z0-9+/]{43}=$/);
    const body = JSON.parse(got.body) as TWebhookPayload;
    assert.deepEqual(body, {
      type: "grant.activated",
      timestamp: occurredAt.toISOString(),
      data: {
        grantId: grant.id,
        subject: {
          id: grant.subjectId,
          subjectId: `${grant.subject.issuer}#${grant.subject.subject}`,
          email: grant.subject.email,
        },
        resource: resource.key,
        permissions: ["read"],
        startsAt: grant.startsAt.toISOString(),
        expiresAt: grant.expiresAt.toISOString(),
      },
    });

    const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
    assert.equal(delivery.endpointId, endpointId);
    assert.equal(delivery.eventId, eventId);
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.lastStatus, 204);
    assert.equal(delivery.lastError, null);
    assert.ok(delivery.deliveredAt instanceof Date);
    assert.ok(
      Math.abs(delivery.deliveredAt.getTime() - Date.now()) < 60_000,
      `deliveredAt is now, in UTC (got ${delivery.deliveredAt.toISOString()})`,
    );

    // A repeated job sends nothing more.
    assert.deepEqual(await deliverWebhook({ deliveryId }), { outcome: "skipped", reason: "already delivered" });
    assert.equal(receivedAt(path).length, 1);
    const history = await listDeliveries({ actor, endpointId, resourceKey: resource.key });
    assert.deepEqual(
      history.map((entry) => [entry.id, entry.eventType, entry.grantId, entry.attempts]),
      [[deliveryId, "grant.activated", grant.id, 1]],
    );
  });

  it("the same event queued twice is one delivery and one job", async () => {
    const actor = await admin();
    const resource = await newResource();
    const grant = await newGrant(resource.id);
    const { endpointId } = await endpointFor(actor, resource.key);
    const at = new Date();

    const first = await queue(grant.id, "grant.expired", at);
    const second = await queue(grant.id, "grant.expired", at);
    assert.equal(first.deliveryIds.length, 1);
    assert.deepEqual(second.deliveryIds, []);
    assert.equal(await db.webhookDelivery.count({ where: { endpointId } }), 1);
    assert.equal(
      await db.outboxJob.count({
        where: { name: "webhook.deliver", payload: { equals: { deliveryId: first.deliveryIds[0] as string } } },
      }),
      1,
    );
    // Another instant is another event.
    assert.equal((await queue(grant.id, "grant.expired", new Date(at.getTime() + 1))).deliveryIds.length, 1);
  });

  it("only subscribed, enabled endpoints of the grant's resource get a delivery; a rollback leaves none", async () => {
    const actor = await admin();
    const resource = await newResource();
    const elsewhere = await newResource();
    const grant = await newGrant(resource.id);
    const revokedOnly = await endpointFor(actor, resource.key, ["grant.revoked"]);
    const all = await endpointFor(actor, resource.key);
    const otherResource = await endpointFor(actor, elsewhere.key);

    const { deliveryIds } = await queue(grant.id, "grant.extended", new Date());
    const rows = await db.webhookDelivery.findMany({ where: { id: { in: deliveryIds } } });
    assert.deepEqual(
      rows.map((row) => row.endpointId),
      [all.endpointId],
    );
    assert.equal(
      await db.webhookDelivery.count({
        where: { endpointId: { in: [revokedOnly.endpointId, otherResource.endpointId] } },
      }),
      0,
    );

    const before = await db.webhookDelivery.count();
    await assert.rejects(
      db.$transaction(async (tx) => {
        await queueGrantWebhooks(tx, {
          grantId: grant.id,
          eventType: "grant.revoked",
          occurredAt: new Date(),
          data: { reason: "incident over" },
        });
        throw new Error("the revocation failed");
      }),
      /the revocation failed/,
    );
    assert.equal(await db.webhookDelivery.count(), before);
  });

  it("a receiver answering 500 leaves the delivery undelivered with lastStatus 500 and the call throws; a later 2xx delivers it", async () => {
    const actor = await admin();
    const resource = await newResource();
    const grant = await db.grant.update({
      where: { id: (await newGrant(resource.id)).id },
      data: { revokedAt: new Date(), revokeReason: "left the team" },
    });
    const { path } = await endpointFor(actor, resource.key, ["grant.revoked"]);
    receiver.status.set(path, 500);

    const { deliveryIds } = await queue(grant.id, "grant.revoked", grant.revokedAt as Date);
    const deliveryId = deliveryIds[0] as string;
    await assert.rejects(
      deliverWebhook({ deliveryId }),
      (error: unknown) => error instanceof WebhookDeliveryError && error.status === 500,
    );
    let delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
    assert.equal(delivery.deliveredAt, null);
    assert.equal(delivery.lastStatus, 500);
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.lastError, "http_5xx", "the class, never the receiver's answer");
    assert.ok(receivedAt(path)[0]?.verified, "the failed attempt was still signed correctly");

    receiver.status.set(path, 200);
    assert.deepEqual(await deliverWebhook({ deliveryId }), { outcome: "delivered", status: 200 });
    delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
    assert.equal(delivery.attempts, 2);
    assert.equal(delivery.lastStatus, 200);
    assert.equal(delivery.lastError, null);
    assert.ok(delivery.deliveredAt);
    const [first, second] = receivedAt(path);
    assert.equal(first?.headers["webhook-id"], second?.headers["webhook-id"], "retries keep the webhook-id");
    const body = JSON.parse(second?.body ?? "{}") as TWebhookPayload;
    assert.equal(body.data.reason, "left the team");
    assert.equal(body.data.revokedAt, grant.revokedAt?.toISOString());
  });

  it("an unreachable receiver is recorded with no status, and the call throws", async () => {
    const actor = await admin();
    const resource = await newResource();
    const grant = await newGrant(resource.id);
    // A port that was just free: nothing listens there any more.
    const port = await freePort();
    await createEndpoint({
      actor,
      resourceKey: resource.key,
      url: `http://127.0.0.1:${port}/hook`,
      events: ["grant.expired"],
    });
    const { deliveryIds } = await queue(grant.id, "grant.expired", grant.expiresAt);
    await assert.rejects(deliverWebhook({ deliveryId: deliveryIds[0] as string }), WebhookDeliveryError);
    const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryIds[0] as string } });
    assert.equal(delivery.lastStatus, null);
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.lastError, "refused");
  });

  it("refuses, at creation, an endpoint on an internal address the allow-list does not name, with the reason", async () => {
    const actor = await admin();
    const resource = await newResource();
    const nothingAllowed = { allowed: [] };
    for (const url of [
      `${receiver.origin}/hook`,
      "http://localhost:8080/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "http://0x7f.1/hook",
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.5/hook",
    ]) {
      await assert.rejects(
        createEndpoint({
          actor,
          resourceKey: resource.key,
          url,
          events: ["grant.expired"],
          outboundPolicy: nothingAllowed,
        }),
        (error: unknown) =>
          error instanceof AppError &&
          error.code === "INVALID_INPUT" &&
          /internal|loopback|link-local|private/.test(error.fields.url ?? "") &&
          /OUTBOUND_ALLOWED_HOSTS/.test(error.fields.url ?? ""),
        url,
      );
    }
    assert.equal(await db.webhookEndpoint.count({ where: { resourceId: resource.id } }), 0, "nothing stored");
  });

  it("never contacts an internal receiver the allow-list does not name: the delivery records blocked_address", async () => {
    const actor = await admin();
    const resource = await newResource();
    const grant = await newGrant(resource.id);
    // Created while the harness allows loopback, then delivered under a policy that allows nothing
    // (as after an operator narrows OUTBOUND_ALLOWED_HOSTS).
    const { path } = await endpointFor(actor, resource.key, ["grant.expired"]);
    const { deliveryIds } = await queue(grant.id, "grant.expired", grant.expiresAt);
    const deliveryId = deliveryIds[0] as string;
    await assert.rejects(
      deliverWebhook({ deliveryId, outboundPolicy: { allowed: [] } }),
      (error: unknown) => error instanceof WebhookDeliveryError && /blocked_address/.test(error.message),
    );
    const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
    assert.equal(delivery.lastError, "blocked_address");
    assert.equal(delivery.lastStatus, null);
    assert.equal(delivery.deliveredAt, null);
    assert.equal(receivedAt(path).length, 0, "the receiver heard nothing");

    // The same delivery under the harness's allow-list (loopback named) goes through.
    assert.deepEqual(await deliverWebhook({ deliveryId }), { outcome: "delivered", status: 204 });
    assert.equal(receivedAt(path).length, 1);
  });

  it("a disabled endpoint gets nothing: no new deliveries, and queued ones are not sent", async () => {
    const actor = await admin();
    const resource = await newResource();
    const grant = await newGrant(resource.id);
    const { endpointId, path } = await endpointFor(actor, resource.key);

    const queued = await queue(grant.id, "grant.activated", grant.startsAt);
    await disableEndpoint({ actor, resourceKey: resource.key, endpointId });
    assert.deepEqual(await deliverWebhook({ deliveryId: queued.deliveryIds[0] as string }), {
      outcome: "skipped",
      reason: "endpoint disabled",
    });
    assert.deepEqual((await queue(grant.id, "grant.expired", grant.expiresAt)).deliveryIds, []);
    assert.equal(receivedAt(path).length, 0);
    const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: queued.deliveryIds[0] as string } });
    assert.equal(delivery.attempts, 0);
  });
});

describe("scheduled deliveries: a grant's start and end are queued when it is made", () => {
  const makeGrant = async (resourceId: string, subjectId: string, times: { startsInMs: number; endsInMs: number }) => {
    const now = Date.now();
    return db.$transaction(async (tx) => {
      const grant = await tx.grant.create({
        data: {
          subjectId,
          resourceId,
          permissions: ["read"],
          startsAt: new Date(now + times.startsInMs),
          expiresAt: new Date(now + times.endsInMs),
        },
      });
      await scheduleGrantLifecycle(tx, grant);
      return grant;
    });
  };
  const scheduled = (grantId: string) =>
    db.webhookDelivery.findMany({ where: { grantId }, orderBy: [{ sendAfter: "asc" }, { createdAt: "asc" }] });

  it("writes the expiry delivery with its instant and a delayed job in the grant's transaction, and sends it only when due", async () => {
    const resource = await newResource();
    const hook = await endpointFor(await admin(), resource.key, ["grant.expired"]);
    const subject = await createActor();
    const grant = await makeGrant(resource.id, subject.userId, { startsInMs: 0, endsInMs: 60_000 });

    const [delivery] = await scheduled(grant.id);
    assert.ok(delivery);
    assert.equal(delivery.eventType, "grant.expired");
    assert.equal(delivery.sendAfter?.getTime(), grant.expiresAt.getTime());
    assert.equal(
      delivery.eventId,
      webhookEventId(grant.id, "grant.expired", grant.expiresAt),
      "the lifecycle job's own queueing finds it and adds nothing",
    );
    const job = await db.outboxJob.findFirst({ where: { jobId: { contains: delivery.id } } });
    assert.equal(job?.runAt?.getTime(), grant.expiresAt.getTime(), "its job waits for the expiry");

    await assert.rejects(
      deliverWebhook({ deliveryId: delivery.id }),
      (error: unknown) => error instanceof WebhookNotDueError,
      "an early job sends nothing",
    );
    assert.equal(receivedAt(hook.path).length, 0);

    await expireGrant({ grantId: grant.id, now: new Date(grant.expiresAt.getTime() + 5) });
    assert.equal(
      await db.webhookDelivery.count({ where: { grantId: grant.id } }),
      1,
      "expiry did not queue a second delivery",
    );
    const result = await deliverWebhook({
      deliveryId: delivery.id,
      now: () => new Date(grant.expiresAt.getTime() + 10),
    });
    assert.equal(result.outcome, "delivered");
    const [received] = receivedAt(hook.path);
    assert.ok(received?.verified);
    const body = JSON.parse(received.body) as TWebhookPayload;
    assert.equal(body.type, "grant.expired");
    assert.equal(body.data.expiresAt, grant.expiresAt.toISOString());
  });

  it("revocation cancels the start and end still ahead; the target hears only grant.revoked", async () => {
    const resource = await newResource();
    const hook = await endpointFor(await admin(), resource.key);
    const subject = await createActor();
    const grant = await makeGrant(resource.id, subject.userId, { startsInMs: 30_000, endsInMs: 120_000 });
    assert.deepEqual(
      (await scheduled(grant.id)).map((row) => row.eventType),
      ["grant.activated", "grant.expired"],
    );

    await revokeGrant({ actor: subject, input: { grantId: grant.id } });
    const rows = await scheduled(grant.id);
    const byType = new Map(rows.map((row) => [row.eventType, row]));
    assert.equal(byType.get("grant.activated")?.cancelReason, "grant revoked");
    assert.equal(byType.get("grant.expired")?.cancelReason, "grant revoked");
    assert.equal(byType.get("grant.revoked")?.cancelledAt, null);

    for (const row of rows)
      await deliverWebhook({ deliveryId: row.id, now: () => new Date(grant.expiresAt.getTime() + 1) });
    assert.deepEqual(
      receivedAt(hook.path).map((entry) => (JSON.parse(entry.body) as TWebhookPayload).type),
      ["grant.revoked"],
    );
  });

  it("the sender re-checks the grant: a revocation that bypassed the cancel still stops the expiry event", async () => {
    const resource = await newResource();
    const hook = await endpointFor(await admin(), resource.key, ["grant.expired"]);
    const subject = await createActor();
    const grant = await makeGrant(resource.id, subject.userId, { startsInMs: 0, endsInMs: 60_000 });
    // As if the revoking transaction committed while the delivery job was already running.
    await db.grant.update({ where: { id: grant.id }, data: { revokedAt: new Date() } });
    const [delivery] = await scheduled(grant.id);
    assert.ok(delivery);
    const result = await deliverWebhook({
      deliveryId: delivery.id,
      now: () => new Date(grant.expiresAt.getTime() + 1),
    });
    assert.deepEqual(result, { outcome: "skipped", reason: "cancelled" });
    assert.equal(
      (await db.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } })).cancelReason,
      "grant revoked first",
    );
    assert.equal(receivedAt(hook.path).length, 0);
  });

  it("an extension cancels the old expiry event and schedules the new one", async () => {
    const resource = await newResource();
    const hook = await endpointFor(await admin(), resource.key, ["grant.expired"]);
    const subject = await createActor();
    const grant = await makeGrant(resource.id, subject.userId, { startsInMs: 0, endsInMs: 60_000 });
    const [old] = await scheduled(grant.id);
    assert.ok(old);
    const { expiresAt } = await db.$transaction((tx) =>
      applyExtension(tx, {
        grantId: grant.id,
        minutes: 30,
        requestId: uniqueId("req"),
        now: new Date(),
        actor: { type: "SYSTEM", id: "test" },
      }),
    );
    const rows = await scheduled(grant.id);
    assert.equal(rows.length, 2);
    assert.equal(rows.find((row) => row.id === old.id)?.cancelReason, "expiry moved");
    const moved = rows.find((row) => row.id !== old.id);
    assert.equal(moved?.sendAfter?.getTime(), expiresAt.getTime());
    assert.equal(moved?.cancelledAt, null);

    // The old job, firing at the old instant, sends nothing.
    assert.deepEqual(await deliverWebhook({ deliveryId: old.id, now: () => new Date(grant.expiresAt.getTime() + 1) }), {
      outcome: "skipped",
      reason: "cancelled",
    });
    assert.equal(receivedAt(hook.path).length, 0);
  });
});
