/**
 * Deactivating a person ends their access where it lives (docs/decisions/0026): against real
 * PostgreSQL and Redis, the lifecycle worker's functions and a real webhook receiver that
 * verifies every signature as a target system would.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { activateGrant, decideRequest, requestAccess, startDecision } from "../access";
import { DEACTIVATION_REASON } from "../access/end-access-of-user";
import { requestExtension } from "../access/extend-grant";
import type { TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, createActorWithPasskey, uniqueId } from "../testing/fixtures";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { createEndpoint, deliverWebhook, type TWebhookPayload, verifyWebhook } from "../webhooks";
import { setUserActive } from "./set-user-active";

type TReceived = { path: string; payload: TWebhookPayload; verified: boolean };
const receiver = { server: undefined as Server | undefined, origin: "", received: [] as TReceived[] };
const secrets = new Map<string, string>();

before(async () => {
  receiver.server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      const body = Buffer.concat(chunks).toString("utf8");
      const secret = secrets.get(path);
      const verified = secret ? verifyWebhook({ secret, headers: request.headers, body }).ok : false;
      receiver.received.push({ path, payload: JSON.parse(body) as TWebhookPayload, verified });
      response.writeHead(verified ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => receiver.server?.listen(0, "127.0.0.1", resolve));
  receiver.origin = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => (receiver.server ? receiver.server.close(() => resolve()) : resolve()));
  await disconnectDb();
});

const isConflict = (pattern: RegExp) => (error: unknown) =>
  error instanceof AppError && error.code === "CONFLICT" && pattern.test(error.message);

describe("deactivating a person ends their access", () => {
  const engineers = uniqueId("eng");
  const approvers = uniqueId("appr");
  let admin: TUserActor;
  let approver: TUserActor;
  let authenticator: TSoftwareAuthenticator;

  const approve = async (requestId: string) => {
    const options = await startDecision({ actor: approver, requestId, decision: "APPROVE" });
    return decideRequest({
      actor: approver,
      input: { requestId, decision: "APPROVE", assertion: await authenticator.assert(options) },
    });
  };

  /** A resource with a webhook endpoint on the receiver, and a policy (auto-approved for engineers, or not). */
  const resourceWithHook = async (autoApproved: boolean) => {
    const resource = await db.resource.create({
      data: { key: uniqueId("deact"), name: uniqueId("Deact DB"), environment: "staging", permissions: ["read"] },
    });
    const policy = await db.accessPolicy.create({
      data: {
        resourceId: resource.id,
        name: "read",
        permissions: ["read"],
        requesterGroups: [engineers],
        approverGroups: [approvers],
        defaultDurationMinutes: 30,
        maxDurationMinutes: 120,
        minJustificationLength: 5,
        ...(autoApproved ? { autoApproveGroups: [engineers], autoApprovePermissions: ["read"] } : {}),
      },
    });
    const path = `/${uniqueId("hook")}`;
    const { secret } = await createEndpoint({
      actor: admin,
      resourceKey: resource.key,
      url: `${receiver.origin}${path}`,
      events: ["grant.activated", "grant.revoked", "grant.expired", "grant.extended"],
    });
    secrets.set(path, secret);
    return { resource, policy, path };
  };

  const ask = (actor: TUserActor, policyId: string, startAt?: Date) =>
    requestAccess({
      actor,
      input: {
        policyId,
        permissions: ["read"],
        durationMinutes: 30,
        justification: "routine maintenance",
        ...(startAt ? { startAt: startAt.toISOString() } : {}),
      },
    });

  /** Sends every due delivery of the grant that is not cancelled or sent, as the webhooks worker would. */
  const deliverAll = async (grantId: string) => {
    const deliveries = await db.webhookDelivery.findMany({
      where: {
        grantId,
        deliveredAt: null,
        cancelledAt: null,
        OR: [{ sendAfter: null }, { sendAfter: { lte: new Date() } }],
      },
    });
    for (const delivery of deliveries) await deliverWebhook({ deliveryId: delivery.id });
  };

  before(async () => {
    admin = await createActor({ groups: ["portal-admins"] });
    ({ actor: approver, authenticator } = await createActorWithPasskey({ groups: [approvers] }));
    approver.roles.push("approver");
  });

  it("revokes live and scheduled grants with deprovisioning, and cancels pending requests and extensions", async () => {
    const person = await createActor({ groups: [engineers] });
    const approved = await resourceWithHook(false);
    const scheduledOn = await resourceWithHook(true);
    const pendingOn = await resourceWithHook(false);

    const live = await ask(person, approved.policy.id);
    await approve(live.requestId);
    const liveGrant = await db.grant.findUniqueOrThrow({ where: { requestId: live.requestId } });
    await deliverAll(liveGrant.id); // the target provisions the live grant
    const extension = await requestExtension({
      actor: person,
      input: { grantId: liveGrant.id, minutes: 15, justification: "still working" },
    });
    assert.equal(extension.status, "PENDING");
    const startAt = new Date(Date.now() + 3_600_000);
    const scheduled = await ask(person, scheduledOn.policy.id, startAt);
    assert.ok(scheduled.grantId);
    const pending = await ask(person, pendingOn.policy.id);
    assert.equal(pending.status, "PENDING");

    await setUserActive({ actor: admin, input: { userId: person.userId, active: false } });

    for (const grantId of [liveGrant.id, scheduled.grantId]) {
      const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId } });
      assert.ok(grant.revokedAt, "revoked");
      assert.equal(grant.revokedById, admin.userId);
      assert.equal(grant.revokeReason, DEACTIVATION_REASON);
      assert.equal(await db.grantLifecycleEvent.count({ where: { grantId, kind: "REVOKED" } }), 1);
      assert.equal(
        await db.auditEvent.count({ where: { action: "grant.revoke", targetId: grantId, actorId: admin.userId } }),
        1,
      );
    }
    for (const requestId of [extension.requestId, pending.requestId])
      assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).status, "CANCELLED");
    const event = await db.auditEvent.findFirstOrThrow({
      where: { action: "user.deactivate", targetId: person.userId },
    });
    assert.deepEqual(
      { grants: (event.details as Record<string, unknown>).grantsRevoked },
      { grants: 2 },
      "the deactivation's audit event counts what it ended",
    );
    assert.equal((event.details as Record<string, unknown>).requestsCancelled, 2);

    // Deprovisioning: the targets hear grant.revoked now, signed; the scheduled start never goes out.
    receiver.received.length = 0;
    await deliverAll(liveGrant.id);
    await deliverAll(scheduled.grantId);
    const heard = receiver.received.map((entry) => [entry.path, entry.payload.type, entry.payload.data.grantId]);
    assert.deepEqual(
      heard.sort(),
      [
        [approved.path, "grant.revoked", liveGrant.id],
        [scheduledOn.path, "grant.revoked", scheduled.grantId],
      ].sort(),
    );
    assert.ok(receiver.received.every((entry) => entry.verified));
    const activation = await db.webhookDelivery.findFirstOrThrow({
      where: { grantId: scheduled.grantId, eventType: "grant.activated" },
    });
    assert.ok(activation.cancelledAt, "the scheduled start's delivery is cancelled");
    assert.deepEqual(await deliverWebhook({ deliveryId: activation.id }), { outcome: "skipped", reason: "cancelled" });

    // The scheduled grant's start job fires after the deactivation: nothing starts.
    assert.equal(
      await activateGrant({ grantId: scheduled.grantId, now: new Date(startAt.getTime() + 1_000) }),
      "skipped",
    );
    assert.equal(await db.grantLifecycleEvent.count({ where: { grantId: scheduled.grantId, kind: "ACTIVATED" } }), 0);

    // An approver who opens the cancelled request is told why it cannot be decided.
    await assert.rejects(
      startDecision({ actor: approver, requestId: pending.requestId, decision: "APPROVE" }),
      isConflict(/has been deactivated/),
    );
  });

  it("never starts a scheduled grant of a person deactivated behind its back", async () => {
    const person = await createActor({ groups: [engineers] });
    const { policy } = await resourceWithHook(true);
    const startAt = new Date(Date.now() + 3_600_000);
    const { grantId } = await ask(person, policy.id, startAt);
    assert.ok(grantId);
    // Not through setUserActive: the activation's own check is what is tested here.
    await db.user.update({ where: { id: person.userId }, data: { deactivatedAt: new Date() } });
    assert.equal(await activateGrant({ grantId, now: new Date(startAt.getTime() + 1_000) }), "skipped");
    assert.equal(await db.grantLifecycleEvent.count({ where: { grantId, kind: "ACTIVATED" } }), 0);
  });

  it("refuses an approver's decision on a deactivated person's request with a clear reason", async () => {
    const person = await createActor({ groups: [engineers] });
    const { policy } = await resourceWithHook(false);
    const { requestId } = await ask(person, policy.id);
    const options = await startDecision({ actor: approver, requestId, decision: "APPROVE" });
    await setUserActive({ actor: admin, input: { userId: person.userId, active: false } });
    // The passkey challenge was issued before the deactivation: the decision is still refused.
    await assert.rejects(
      decideRequest({
        actor: approver,
        input: { requestId, decision: "APPROVE", assertion: await authenticator.assert(options) },
      }),
      isConflict(/The person who asked has been deactivated/),
    );
    assert.equal(await db.grant.count({ where: { requestId } }), 0);
  });

  it("leaves no live grant when an approval and the deactivation happen at once", async () => {
    for (let round = 0; round < 3; round += 1) {
      const person = await createActor({ groups: [engineers] });
      const { policy } = await resourceWithHook(false);
      const { requestId } = await ask(person, policy.id);
      const options = await startDecision({ actor: approver, requestId, decision: "APPROVE" });
      const assertion = await authenticator.assert(options);
      const [decision, deactivation] = await Promise.allSettled([
        decideRequest({ actor: approver, input: { requestId, decision: "APPROVE", assertion } }),
        setUserActive({ actor: admin, input: { userId: person.userId, active: false } }),
      ]);
      assert.equal(deactivation.status, "fulfilled", "the deactivation always goes through (no deadlock)");
      if (decision.status === "rejected") assert.ok(isConflict(/has been deactivated/)(decision.reason));
      assert.ok((await db.user.findUniqueOrThrow({ where: { id: person.userId } })).deactivatedAt);
      assert.equal(
        await db.grant.count({ where: { subjectId: person.userId, revokedAt: null } }),
        0,
        "whichever came first, the person holds nothing",
      );
    }
  });

  it("never deadlocks a grant's start with the person's deactivation, and a grant revoked first never starts", async () => {
    for (let round = 0; round < 8; round += 1) {
      const person = await createActor({ groups: [engineers] });
      const { policy } = await resourceWithHook(false);
      const { requestId } = await ask(person, policy.id);
      const options = await startDecision({ actor: approver, requestId, decision: "APPROVE" });
      await decideRequest({
        actor: approver,
        input: { requestId, decision: "APPROVE", assertion: await authenticator.assert(options) },
      });
      const grant = await db.grant.findUniqueOrThrow({ where: { requestId } });
      // The start job (the grant is due) and the directory's deactivation, at the same moment.
      const [start, deactivation] = await Promise.allSettled([
        activateGrant({ grantId: grant.id }),
        setUserActive({ actor: admin, input: { userId: person.userId, active: false } }),
      ]);
      assert.equal(
        deactivation.status,
        "fulfilled",
        `deactivation: ${String((deactivation as PromiseRejectedResult).reason)}`,
      );
      assert.equal(start.status, "fulfilled", `start: ${String((start as PromiseRejectedResult).reason)}`);
      const revoked = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
      assert.ok(revoked.revokedAt, "the deactivation revoked the grant");
      const started = await db.auditEvent.findFirst({ where: { action: "grant.activated", targetId: grant.id } });
      if (started) assert.ok(started.occurredAt <= revoked.revokedAt, "started only before the revocation");
    }
  });
});
