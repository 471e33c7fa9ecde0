/**
 * The device grant (RFC 8628) and the engineers' API against real PostgreSQL and Redis through
 * the real API server: the poll's pending, slow_down, denial and single exchange; refresh
 * rotation and reuse detection (a reused refresh token revokes the device); expired and
 * tampered access tokens; scope separation both ways; every /me route against the
 * authorization matrix (another person's request or grant is 404); revocation from My
 * devices and by deactivation. Each attack is tried and must fail. (The browser half, a
 * person confirming the code through the real IdP, is e2e/cli.spec.ts.)
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeJwt, SignJWT } from "jose";
import { decideRequest, startDecision } from "../lib/access";
import { db, disconnectDb } from "../lib/db";
import { confirmDeviceAuthorization, PERSON_TOKEN_AUDIENCE, revokeDevice, signPersonToken } from "../lib/devices";
import { redis } from "../lib/redis";
import { createServiceClient } from "../lib/services";
import { loadKeyRing } from "../lib/services/signing-keys";
import { appErrorWith } from "../lib/testing/matchers";
import { createActor, createActorWithPasskey, createResourceWithPolicy, uniqueId } from "../lib/testing/fixtures";
import { setUserActive } from "../lib/users/set-user-active";
import { signOutEverywhere } from "../lib/auth/sign-out-everywhere";
import { ME_ROUTES } from "./me";
import { startApiServer, type TApiServer } from "./server";

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
let api: TApiServer;

before(async () => {
  api = await startApiServer({
    port: 0,
    pollMs: 250,
    rateLimit: { limit: 10_000, windowMs: 60_000 },
    log: () => undefined,
  });
});
after(async () => {
  await api.close();
  await disconnectDb();
  redis().disconnect();
});

const form = (path: string, body: Record<string, string>) =>
  fetch(`${api.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": "jit-cli/test" },
    body: new URLSearchParams(body).toString(),
  });

type TTokens = { access_token: string; refresh_token: string; expires_in: number; token_type: string };

/** The CLI's login with the person's confirmation done by the domain function the /device page calls. */
const login = async (actor: Awaited<ReturnType<typeof createActor>>): Promise<TTokens> => {
  const started = await form("/api/v1/oauth/device_authorization", { client_id: "jit-cli" });
  assert.equal(started.status, 200);
  const grant = (await started.json()) as { device_code: string; user_code: string };
  await confirmDeviceAuthorization({
    actor,
    input: { userCode: grant.user_code, deviceName: "laptop", decision: "approve" },
  });
  const res = await form("/api/v1/oauth/token", {
    grant_type: DEVICE_GRANT,
    device_code: grant.device_code,
    client_id: "jit-cli",
  });
  assert.equal(res.status, 200);
  return (await res.json()) as TTokens;
};

const me = (path: string, token: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${api.url}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

describe("device authorization grant (RFC 8628)", () => {
  it("answers pending, then slow_down when polled too fast, then one token pair, then invalid_grant", async () => {
    const actor = await createActor();
    const started = await form("/api/v1/oauth/device_authorization", {
      client_id: "jit-cli",
      client_name: "jit on test",
    });
    assert.equal(started.status, 200);
    const grant = (await started.json()) as Record<string, string | number>;
    assert.match(String(grant.user_code), /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(grant.interval, 5);
    assert.match(String(grant.verification_uri_complete), /\/device\?code=/);
    const poll = () =>
      form("/api/v1/oauth/token", {
        grant_type: DEVICE_GRANT,
        device_code: String(grant.device_code),
        client_id: "jit-cli",
      });
    const pending = await poll();
    assert.equal(pending.status, 400);
    assert.equal(((await pending.json()) as { error: string }).error, "authorization_pending");
    assert.equal(((await (await poll()).json()) as { error: string }).error, "slow_down");

    await confirmDeviceAuthorization({
      actor,
      input: {
        userCode: String(grant.user_code).toLowerCase().replace("-", " "),
        deviceName: "laptop",
        decision: "approve",
      },
    });
    const issued = await poll();
    assert.equal(issued.status, 200);
    const tokens = (await issued.json()) as TTokens;
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, PERSON_TOKEN_AUDIENCE);
    assert.equal(claims.sub, actor.userId);
    assert.equal(Number(claims.exp) - Number(claims.iat), 900);
    // One exchange per code: a copy of the device code is worth nothing after.
    const again = await poll();
    assert.equal(((await again.json()) as { error: string }).error, "invalid_grant");
    const whoami = await me("/api/v1/me", tokens.access_token);
    assert.equal(whoami.status, 200);
    assert.equal(((await whoami.json()) as { id: string }).id, actor.userId);
    const device = await db.personDevice.findFirstOrThrow({ where: { userId: actor.userId } });
    assert.equal(device.name, "laptop");
  });

  it("answers access_denied when the person refuses, and refuses a code already decided or unknown", async () => {
    const actor = await createActor();
    const grant = (await (await form("/api/v1/oauth/device_authorization", { client_id: "jit-cli" })).json()) as {
      device_code: string;
      user_code: string;
    };
    await confirmDeviceAuthorization({
      actor,
      input: { userCode: grant.user_code, deviceName: "x", decision: "deny" },
    });
    const res = await form("/api/v1/oauth/token", {
      grant_type: DEVICE_GRANT,
      device_code: grant.device_code,
      client_id: "jit-cli",
    });
    assert.equal(((await res.json()) as { error: string }).error, "access_denied");
    await assert.rejects(
      confirmDeviceAuthorization({ actor, input: { userCode: grant.user_code, deviceName: "x", decision: "approve" } }),
      appErrorWith("NOT_FOUND"),
    );
    await assert.rejects(
      confirmDeviceAuthorization({ actor, input: { userCode: "AEIOU", deviceName: "x", decision: "approve" } }),
      appErrorWith("INVALID_INPUT"),
    );
    const unknown = await form("/api/v1/oauth/token", {
      grant_type: DEVICE_GRANT,
      device_code: "nope",
      client_id: "jit-cli",
    });
    assert.equal(((await unknown.json()) as { error: string }).error, "invalid_grant");
    const noClient = await form("/api/v1/oauth/device_authorization", { client_id: "other" });
    assert.equal(noClient.status, 400);
  });
});

describe("refresh tokens", () => {
  it("rotate on each use; a reused one revokes the device and every token of it", async () => {
    const actor = await createActor();
    const first = await login(actor);
    const refresh = (token: string) =>
      form("/api/v1/oauth/token", { grant_type: "refresh_token", refresh_token: token, client_id: "jit-cli" });
    const second = (await (await refresh(first.refresh_token)).json()) as TTokens;
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal((await me("/api/v1/me", second.access_token)).status, 200);

    // The first refresh token again: someone holds a copy. The device ends for both holders.
    const reuse = await refresh(first.refresh_token);
    assert.equal(reuse.status, 400);
    assert.equal(((await reuse.json()) as { error: string }).error, "invalid_grant");
    const third = await refresh(second.refresh_token);
    assert.equal(((await third.json()) as { error: string }).error, "invalid_grant");
    const refused = await me("/api/v1/me", second.access_token);
    assert.equal(refused.status, 401);
    const device = await db.personDevice.findFirstOrThrow({ where: { userId: actor.userId } });
    assert.ok(device.revokedAt);
    const audit = await db.auditEvent.findFirst({ where: { action: "device.revoke", targetId: device.id } });
    assert.equal(audit?.reason, "a refresh token was used twice");
  });

  it("end with My devices and with deactivation", async () => {
    const actor = await createActor();
    const tokens = await login(actor);
    const device = await db.personDevice.findFirstOrThrow({ where: { userId: actor.userId } });
    const other = await createActor();
    await assert.rejects(revokeDevice({ actor: other, deviceId: device.id }), appErrorWith("NOT_FOUND"));
    await revokeDevice({ actor, deviceId: device.id });
    assert.equal((await me("/api/v1/me", tokens.access_token)).status, 401);
    const refreshed = await form("/api/v1/oauth/token", {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: "jit-cli",
    });
    assert.equal(refreshed.status, 400);

    const person = await createActor();
    const theirs = await login(person);
    const admin = await createActor({ groups: ["jit-admins"] });
    await setUserActive({ actor: { ...admin, roles: ["admin"] }, input: { userId: person.userId, active: false } });
    assert.equal((await me("/api/v1/me", theirs.access_token)).status, 401);
    const deviceRow = await db.personDevice.findFirstOrThrow({ where: { userId: person.userId } });
    assert.ok(deviceRow.revokedAt);
  });
});

describe("sign-out-everywhere", () => {
  it("ends every portal session and every device: a CLI refresh token is refused afterwards", async () => {
    const actor = await createActor();
    const laptop = await login(actor);
    const desktop = await login(actor);
    const secondBrowser = await db.session.create({
      data: { userId: actor.userId, expiresAt: new Date(Date.now() + 3_600_000) },
    });
    const bystander = await createActor();
    const theirs = await login(bystander);

    assert.deepEqual(await signOutEverywhere({ actor }), { sessionsEnded: 2, devicesRevoked: 2 });
    for (const tokens of [laptop, desktop]) {
      const refreshed = await form("/api/v1/oauth/token", {
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        client_id: "jit-cli",
      });
      assert.equal(refreshed.status, 400);
      assert.equal(((await refreshed.json()) as { error: string }).error, "invalid_grant");
      assert.equal((await me("/api/v1/me", tokens.access_token)).status, 401);
    }
    const sessions = await db.session.findMany({
      where: { userId: actor.userId },
      select: { id: true, revokedAt: true },
    });
    assert.ok(sessions.length === 2 && sessions.every((session) => session.revokedAt));
    assert.ok(sessions.some((session) => session.id === secondBrowser.id));
    const events = await db.auditEvent.findMany({
      where: { actorId: actor.userId, action: { in: ["auth.sign_out_everywhere", "device.revoke"] } },
      select: { action: true, reason: true },
    });
    assert.equal(events.filter((event) => event.action === "device.revoke").length, 2);
    assert.equal(events.filter((event) => event.action === "auth.sign_out_everywhere").length, 1);
    // Only the person's own: another person's device still refreshes.
    const stillTheirs = await form("/api/v1/oauth/token", {
      grant_type: "refresh_token",
      refresh_token: theirs.refresh_token,
      client_id: "jit-cli",
    });
    assert.equal(stillTheirs.status, 200);
  });
});

describe("access tokens", () => {
  it("refuses an expired, a tampered and a wrongly signed person token", async () => {
    const actor = await createActor();
    await login(actor);
    const device = await db.personDevice.findFirstOrThrow({ where: { userId: actor.userId } });
    const keyRing = await loadKeyRing();
    const expired = await signPersonToken({
      keyRing,
      userId: actor.userId,
      deviceId: device.id,
      now: new Date(Date.now() - 901_000),
    });
    const res = await me("/api/v1/me", expired.token);
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { message: string }).message, /expired/);
    const valid = await signPersonToken({ keyRing, userId: actor.userId, deviceId: device.id, now: new Date() });
    const [head, , sig] = valid.token.split(".");
    const other = await createActor();
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...decodeJwt(valid.token), sub: other.userId })).toString("base64url")}.${sig}`;
    assert.equal((await me("/api/v1/me", forged)).status, 401);
    const { generateKeyPairSync } = await import("node:crypto");
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const foreign = await new SignJWT({ did: device.id })
      .setProtectedHeader({ alg: "ES256", kid: keyRing.signer?.kid ?? "x" })
      .setSubject(actor.userId)
      .setAudience(PERSON_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("10m")
      .setJti("j")
      .sign(privateKey);
    assert.equal((await me("/api/v1/me", foreign)).status, 401);
  });

  it("keeps the two audiences apart: a service token cannot call /me, a person token no service route", async () => {
    const service = await createServiceClient({
      actor: { kind: "system", name: "test" },
      input: { name: uniqueId("svc"), scopes: ["access:check", "grants:read"], resourceKeys: [] },
    });
    const issued = await form("/api/v1/oauth/token", {
      grant_type: "client_credentials",
      client_id: service.clientId,
      client_secret: service.clientSecret,
    });
    const serviceToken = ((await issued.json()) as { access_token: string }).access_token;
    assert.equal((await me("/api/v1/me", serviceToken)).status, 401);
    assert.equal((await me("/api/v1/me/grants", serviceToken)).status, 401);

    const person = await login(await createActor());
    assert.equal((await me("/api/v1/grants", person.access_token)).status, 401);
    const check = await me("/api/v1/access/check", person.access_token, {
      method: "POST",
      body: { subject: "x@example.com", resource: "r", permission: "read" },
    });
    assert.equal(check.status, 401);
    assert.equal((await me("/api/v1/openapi.json", person.access_token)).status, 401);
    // The engineers' routes are in the OpenAPI document, under their own tag.
    const doc = (await (await me("/api/v1/openapi.json", serviceToken)).json()) as {
      tags: Array<{ name: string }>;
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    assert.ok(doc.tags.some((tag) => tag.name === "Engineers (person tokens)"));
    for (const template of Object.keys(ME_ROUTES))
      assert.deepEqual(
        Object.values(doc.paths[template] ?? {}).map((operation) => operation.tags),
        [["Engineers (person tokens)"]],
        template,
      );
  });
});

describe("the engineers' API (/api/v1/me)", () => {
  it("every route: 401 without a token, 405 for another method", async () => {
    for (const [template, methods] of Object.entries(ME_ROUTES)) {
      const path = template.replace("{id}", "0197a000-0000-7000-8000-000000000000");
      const anonymous = await fetch(`${api.url}${path}`, { method: methods[0] });
      assert.equal(anonymous.status, 401, path);
      const wrong = await fetch(`${api.url}${path}`, { method: "DELETE" });
      assert.equal(wrong.status, 405, path);
    }
  });

  it("requests, waits, reads, lists, extends and ends the caller's own; another person's request or grant is 404", async () => {
    const { resource } = await createResourceWithPolicy({ approverGroups: ["db-approvers"] });
    const requester = await createActor();
    const stranger = await createActor();
    const tokens = await login(requester);
    const strangerTokens = await login(stranger);
    const { actor: approver, authenticator } = await createActorWithPasskey({ groups: ["db-approvers"] });

    const catalog = (await (await me("/api/v1/me/resources", tokens.access_token)).json()) as {
      resources: Array<{ resourceKey: string }>;
    };
    assert.ok(catalog.resources.some((entry) => entry.resourceKey === resource.key));

    const bad = await me("/api/v1/me/requests", tokens.access_token, {
      method: "POST",
      body: { resource: resource.key },
    });
    assert.equal(bad.status, 400);
    const notMine = await me("/api/v1/me/requests", tokens.access_token, {
      method: "POST",
      body: {
        resource: "no-such",
        permissions: ["read"],
        durationMinutes: 30,
        justification: "Investigating INC-1 now",
      },
    });
    assert.equal(notMine.status, 404);

    const created = await me("/api/v1/me/requests", tokens.access_token, {
      method: "POST",
      body: {
        resource: resource.key,
        permissions: ["read"],
        durationMinutes: 30,
        justification: "Investigating INC-1 now",
      },
    });
    assert.equal(created.status, 201);
    const { requestId, link } = (await created.json()) as { requestId: string; link: string };
    assert.match(link, new RegExp(`/requests/${requestId}$`));

    // Another person: the request does not exist for them, on every route that names it.
    assert.equal((await me(`/api/v1/me/requests/${requestId}`, strangerTokens.access_token)).status, 404);
    assert.equal(
      (await me(`/api/v1/me/requests/${requestId}/cancel`, strangerTokens.access_token, { method: "POST" })).status,
      404,
    );
    // An approver of it may read it in the portal, not through /me.
    const approverTokens = await login({ ...approver, email: approver.email ?? "" });
    assert.equal((await me(`/api/v1/me/requests/${requestId}`, approverTokens.access_token)).status, 404);

    // Long polling: the approval lands while the GET waits.
    const waited = me(`/api/v1/me/requests/${requestId}?wait=10`, tokens.access_token);
    const options = await startDecision({ actor: approver, requestId, decision: "APPROVE" });
    await decideRequest({
      actor: approver,
      input: { requestId, decision: "APPROVE", comment: "", assertion: await authenticator.assert(options) },
    });
    const settled = (await (await waited).json()) as { status: string; grant: { id: string; status: string } };
    assert.equal(settled.status, "APPROVED");
    assert.equal(settled.grant.status, "active");
    const grantId = settled.grant.id;

    const grants = (await (await me("/api/v1/me/grants", tokens.access_token)).json()) as {
      active: Array<{ id: string }>;
    };
    assert.deepEqual(
      grants.active.map((grant) => grant.id),
      [grantId],
    );
    const theirs = (await (await me("/api/v1/me/grants", strangerTokens.access_token)).json()) as { active: unknown[] };
    assert.equal(theirs.active.length, 0);

    for (const [path, body] of [
      [`/api/v1/me/grants/${grantId}/end`, {}],
      [`/api/v1/me/grants/${grantId}/extend`, { minutes: 30, justification: "Still investigating INC-1" }],
      [`/api/v1/me/grants/${grantId}/credential`, {}],
    ] as const) {
      const res = await me(path, strangerTokens.access_token, { method: "POST", body });
      assert.equal(res.status, 404, path);
    }
    // No connector on this resource: nothing to hand out, said plainly.
    const credential = await me(`/api/v1/me/grants/${grantId}/credential`, tokens.access_token, {
      method: "POST",
      body: {},
    });
    assert.equal(credential.status, 409);

    const extension = await me(`/api/v1/me/grants/${grantId}/extend`, tokens.access_token, {
      method: "POST",
      body: { minutes: 30, justification: "Still investigating INC-1" },
    });
    assert.equal(extension.status, 201);

    const ended = await me(`/api/v1/me/grants/${grantId}/end`, tokens.access_token, { method: "POST", body: {} });
    assert.equal(ended.status, 200);
    assert.ok((await db.grant.findUniqueOrThrow({ where: { id: grantId } })).revokedAt);
    const twice = await me(`/api/v1/me/grants/${grantId}/end`, tokens.access_token, { method: "POST", body: {} });
    assert.equal(twice.status, 409);
  });

  it("cancels the caller's pending request; there is no route to decide one", async () => {
    const { resource } = await createResourceWithPolicy();
    const tokens = await login(await createActor());
    const created = (await (
      await me("/api/v1/me/requests", tokens.access_token, {
        method: "POST",
        body: {
          resource: resource.key,
          permissions: ["write"],
          durationMinutes: 15,
          justification: "Fixing the replica",
        },
      })
    ).json()) as { requestId: string };
    const decide = await me(`/api/v1/me/requests/${created.requestId}/decide`, tokens.access_token, {
      method: "POST",
      body: { decision: "APPROVE" },
    });
    assert.equal(decide.status, 404);
    const cancelled = await me(`/api/v1/me/requests/${created.requestId}/cancel`, tokens.access_token, {
      method: "POST",
    });
    assert.equal(cancelled.status, 200);
    assert.equal(((await cancelled.json()) as { status: string }).status, "CANCELLED");
  });
});
