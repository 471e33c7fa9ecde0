/**
 * Identity by issuer and subject, e-mail only when verified (docs/decisions/0027): each test
 * tries to become someone else through an e-mail address, against the real services API,
 * PostgreSQL and Redis, and shows it fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { identityFromClaims, identityOptions } from "../lib/auth/claims";
import { checkEmailAvailable, EMAIL_IN_USE_MESSAGE, signInUser } from "../lib/auth/sign-in";
import { db, disconnectDb } from "../lib/db";
import { AppError } from "../lib/errors";
import { redis } from "../lib/redis";
import { createServiceClient } from "../lib/services";
import { TEST_ISSUER, uniqueId } from "../lib/testing/fixtures";
import { queueGrantWebhooks, type TWebhookPayload } from "../lib/webhooks";
import { startApiServer, type TApiServer } from "./server";

const OIDC = { groupsClaim: "groups", emailVerifiedClaim: "email_verified", trustEmailIssuers: [] };
const SYSTEM = { kind: "system", name: "test" } as const;

let api: TApiServer;
let token = "";

before(async () => {
  api = await startApiServer({
    port: 0,
    pollMs: 250,
    rateLimit: { limit: 10_000, windowMs: 60_000 },
    log: () => undefined,
  });
  const client = await createServiceClient({
    actor: SYSTEM,
    input: { name: uniqueId("svc"), scopes: ["access:check", "grants:read"], resourceKeys: [] },
  });
  const res = await fetch(`${api.url}/api/v1/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
    },
    body: "grant_type=client_credentials",
  });
  token = ((await res.json()) as { access_token: string }).access_token;
});
after(async () => {
  await api.close();
  await disconnectDb();
  redis().disconnect();
});

/** Signs in through the same path as the IdP callback: claims, then signInUser. */
const signIn = async (claims: Record<string, unknown>, issuer = TEST_ISSUER) => {
  const identity = identityFromClaims(claims, identityOptions(issuer, OIDC));
  return signInUser({ issuer, identity });
};

const newResource = async () => {
  const key = uniqueId("idres");
  const resource = await db.resource.create({
    data: { key, name: key, environment: "production", permissions: ["read"] },
  });
  return resource;
};

const liveGrant = (subjectId: string, resourceId: string) =>
  db.grant.create({
    data: {
      subjectId,
      resourceId,
      permissions: ["read"],
      startsAt: new Date(Date.now() - 60_000),
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });

type TCheckAnswer = { allowed: boolean; subject?: { id: string; subjectId: string; email: string | null } };
const check = async (subject: string, resource: string): Promise<TCheckAnswer> => {
  await api.replica.sync();
  const res = await fetch(`${api.url}/api/v1/access/check`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ subject, resource, permission: "read" }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as TCheckAnswer;
};

const listBySubject = async (subject: string, resource: string) => {
  const res = await fetch(
    `${api.url}/api/v1/grants?${new URLSearchParams({ subject, resource, status: "all" }).toString()}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  assert.equal(res.status, 200);
  return ((await res.json()) as { grants: Array<{ id: string; subject: TCheckAnswer["subject"] }> }).grants;
};

describe("identity: subject ids and verified e-mail", () => {
  it("an account with an unverified e-mail equal to another person's does not become that person", async () => {
    const victimAddress = `${uniqueId("victim")}@example.com`;
    const victimSub = uniqueId("victim");
    const victim = await signIn({ sub: victimSub, email: victimAddress, email_verified: true, name: "Victim" });
    const theirs = await newResource();
    await liveGrant(victim.userId, theirs.id);

    // The attacker's IdP lets people set their own address, and does not verify it.
    const attackerSub = uniqueId("attacker");
    const attacker = await signIn({ sub: attackerSub, email: victimAddress.toUpperCase(), name: "Mallory" });
    assert.notEqual(attacker.userId, victim.userId, "another person");
    const stored = await db.user.findUniqueOrThrow({ where: { id: attacker.userId } });
    assert.equal(stored.email, null, "no e-mail attached");
    const signInEvent = await db.auditEvent.findFirstOrThrow({
      where: { action: "auth.sign_in", actorId: attacker.userId, outcome: "ALLOWED" },
    });
    assert.equal((signInEvent.details as { unverifiedEmail?: string }).unverifiedEmail, victimAddress);

    // The attacker holds something; a target system asks by the victim's address.
    const mine = await newResource();
    const attackerGrant = await liveGrant(attacker.userId, mine.id);
    assert.deepEqual(
      await check(victimAddress, mine.key),
      { allowed: false },
      "the attacker's grant is not the victim's",
    );
    assert.deepEqual(await listBySubject(victimAddress, mine.key), []);
    // The victim's own grants still answer for the victim, and name the victim.
    const answer = await check(victimAddress, theirs.key);
    assert.equal(answer.allowed, true);
    assert.deepEqual(answer.subject, {
      id: victim.userId,
      subjectId: `${TEST_ISSUER}#${victimSub}`,
      email: victimAddress,
    });

    // Webhook payloads name the attacker by subject id, with no e-mail.
    const endpoint = await db.webhookEndpoint.create({
      data: {
        resourceId: mine.id,
        url: "https://hooks.example.com/identity",
        secretEncrypted: "unused",
        events: ["grant.activated"],
      },
    });
    const { deliveryIds } = await db.$transaction((tx) =>
      queueGrantWebhooks(tx, { grantId: attackerGrant.id, eventType: "grant.activated", occurredAt: new Date() }),
    );
    const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryIds[0] ?? "" } });
    assert.equal(delivery.endpointId, endpoint.id);
    assert.deepEqual((delivery.payload as unknown as TWebhookPayload).data.subject, {
      id: attacker.userId,
      subjectId: `${TEST_ISSUER}#${attackerSub}`,
      email: null,
    });
  });

  it("an unverified e-mail of someone who never signed in names nobody", async () => {
    const address = `${uniqueId("absent")}@example.com`;
    const attacker = await signIn({ sub: uniqueId("attacker"), email: address, email_verified: false });
    const resource = await newResource();
    await liveGrant(attacker.userId, resource.id);
    assert.deepEqual(await check(address, resource.key), { allowed: false });
    assert.deepEqual(await check(address.toUpperCase(), resource.key), { allowed: false });
  });

  it("refuses a second account asserting a taken verified e-mail, with an audit event", async () => {
    const address = `${uniqueId("taken")}@example.com`;
    const holder = await signIn({ sub: uniqueId("holder"), email: address, email_verified: true });
    const secondSub = uniqueId("second");
    const claims = { sub: secondSub, email: address, email_verified: true, name: "Second" };
    await assert.rejects(
      signIn(claims),
      (error: unknown) =>
        error instanceof AppError && error.code === "CONFLICT" && error.message === EMAIL_IN_USE_MESSAGE,
    );
    assert.equal(await db.user.count({ where: { issuer: TEST_ISSUER, subject: secondSub } }), 0, "no account made");
    const denied = await db.auditEvent.findFirstOrThrow({
      where: { action: "auth.sign_in", outcome: "DENIED", targetId: holder.userId },
    });
    assert.equal(denied.reason, "the verified e-mail belongs to another account");
    assert.equal((denied.details as { subject?: string }).subject, secondSub);
    // The sign-in callback asks first and sends the person to a page that says why.
    assert.equal(
      await checkEmailAvailable({
        issuer: TEST_ISSUER,
        identity: identityFromClaims(claims, identityOptions(TEST_ISSUER, OIDC)),
      }),
      false,
    );
    // The holder signs in again as before.
    assert.equal(
      (
        await signIn({
          sub: (await db.user.findUniqueOrThrow({ where: { id: holder.userId } })).subject,
          email: address,
          email_verified: true,
        })
      ).userId,
      holder.userId,
    );
  });

  it("lets only one of two new accounts claiming one verified e-mail at the same instant in", async () => {
    const address = `${uniqueId("race")}@example.com`;
    const results = await Promise.allSettled([
      signIn({ sub: uniqueId("a"), email: address, email_verified: true }),
      signIn({ sub: uniqueId("b"), email: address, email_verified: true }),
    ]);
    assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
    const refused = results.find((result) => result.status === "rejected");
    assert.ok(refused?.status === "rejected" && refused.reason instanceof AppError);
    assert.equal(refused.reason.message, EMAIL_IN_USE_MESSAGE);
    assert.equal(await db.user.count({ where: { issuer: TEST_ISSUER, email: address } }), 1);
  });

  it("answers checks and lists by subject id, which names one person at one issuer", async () => {
    const sub = uniqueId("same-sub");
    const here = await signIn({ sub, email: `${uniqueId("here")}@example.com`, email_verified: true });
    const elsewhere = await signIn({ sub }, "https://other-idp.example.com");
    const resource = await newResource();
    const grant = await liveGrant(here.userId, resource.id);
    const subjectId = `${TEST_ISSUER}#${sub}`;
    const answer = await check(subjectId, resource.key);
    assert.equal(answer.allowed, true);
    assert.equal(answer.subject?.id, here.userId);
    assert.deepEqual(await check(`https://other-idp.example.com#${sub}`, resource.key), { allowed: false });
    assert.notEqual(elsewhere.userId, here.userId);
    const listed = await listBySubject(subjectId, resource.key);
    assert.deepEqual(
      listed.map((entry) => [entry.id, entry.subject?.subjectId]),
      [[grant.id, subjectId]],
    );
  });
});
