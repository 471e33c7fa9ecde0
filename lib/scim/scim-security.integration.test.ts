/**
 * The SCIM API's security properties, each attacked: no token, a revoked token, one connection
 * reaching another's people; a deactivation ending a live portal session and an active grant
 * (the grant row and the services API's check answer); and an approver the directory removed
 * from the approver group cannot decide a request already open in their browser.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startApiServer, type TApiServer } from "../../api/server";
import { decideRequest, requestAccess, startDecision } from "../access";
import { resolveSession } from "../auth/session";
import { getConfig } from "../config";
import { db, disconnectDb } from "../db";
import { redis } from "../redis";
import { createActor, createActorWithPasskey, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import { createScimClient, scimCall, type TScimClient } from "../testing/scim-client";
import { serviceChecker } from "../testing/service-check";
import { flushScimRefusals } from "./authenticate";
import { SCIM_ERROR_SCHEMA } from "./errors";
import { revokeDirectoryToken } from "./manage-connections";
import { PATCH_OP_SCHEMA } from "./patch";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const patch = (Operations: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations });

let api: TApiServer;
before(async () => {
  api = await startApiServer({
    port: 0,
    pollMs: 100,
    rateLimit: { limit: 10_000, windowMs: 60_000 },
    log: () => undefined,
  });
});
after(async () => {
  await api.close();
  await disconnectDb();
  redis().disconnect();
});

const newPerson = async (client: TScimClient, extra: Record<string, unknown> = {}) => {
  const name = uniqueId("person");
  const answer = await client.call("POST", "/Users", {
    schemas: [USER],
    userName: `${name}@example.com`,
    externalId: name,
    ...extra,
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.id as string;
};

describe("SCIM authentication", () => {
  it("refuses no token, a made-up token and a revoked token with 401 and a SCIM body, counted in one aggregate", async () => {
    const client = await createScimClient();
    for (const token of [null, "jds_made-up", "not-even-ours"]) {
      const answer = await scimCall(token, "GET", "/Users");
      assert.equal(answer.status, 401);
      assert.deepEqual(answer.body.schemas, [SCIM_ERROR_SCHEMA]);
      assert.equal(answer.body.status, "401");
      assert.equal(answer.headers.get("www-authenticate"), 'Bearer realm="scim"');
    }
    assert.equal((await client.call("GET", "/Users")).status, 200);
    const admin = await createActor({ groups: [getConfig().adminGroups[0] ?? "portal-admins"] });
    const token = await db.directoryToken.findFirstOrThrow({ where: { connectionId: client.connectionId } });
    await revokeDirectoryToken({ actor: admin, input: { tokenId: token.id } });
    const revoked = await client.call("POST", "/Users", { schemas: [USER], userName: "late@example.com" });
    assert.equal(revoked.status, 401);
    assert.equal(await db.user.count({ where: { directoryId: client.connectionId } }), 0, "nothing was written");
    await flushScimRefusals();
    const aggregate = await db.auditEvent.findFirstOrThrow({
      where: { action: "scim.authenticate.aggregate", reason: "revoked_token" },
      orderBy: { seq: "desc" },
    });
    assert.equal(aggregate.actorType, "ANONYMOUS");
    assert.ok(
      await db.auditEvent.findFirst({ where: { action: "directory.token.revoke", targetId: client.connectionId } }),
    );
  });

  it("lets connection A neither see nor change connection B's people and groups (404, nothing changed)", async () => {
    const a = await createScimClient();
    const b = await createScimClient();
    const bPerson = await newPerson(b);
    const bGroup = (await b.call("POST", "/Groups", { schemas: [GROUP], displayName: uniqueId("grp") })).body
      .id as string;
    assert.equal((await a.call("GET", `/Users/${bPerson}`)).status, 404);
    assert.equal((await a.call("GET", "/Users")).body.totalResults, 0);
    assert.equal(
      (await a.call("PATCH", `/Users/${bPerson}`, patch([{ op: "replace", value: { active: false } }]))).status,
      404,
    );
    assert.equal(
      (await a.call("PUT", `/Users/${bPerson}`, { schemas: [USER], userName: "x@example.com" })).status,
      404,
    );
    assert.equal((await a.call("DELETE", `/Users/${bPerson}`)).status, 404);
    assert.equal((await a.call("GET", `/Groups/${bGroup}`)).status, 404);
    assert.equal((await a.call("DELETE", `/Groups/${bGroup}`)).status, 404);
    // Nor put B's person into A's group.
    const aGroup = (await a.call("POST", "/Groups", { schemas: [GROUP], displayName: uniqueId("grp") })).body
      .id as string;
    const smuggled = await a.call(
      "PATCH",
      `/Groups/${aGroup}`,
      patch([{ op: "add", path: "members", value: [{ value: bPerson }] }]),
    );
    assert.equal(smuggled.status, 400);
    const row = await db.user.findUniqueOrThrow({ where: { id: bPerson } });
    assert.equal(row.deactivatedAt, null);
    assert.deepEqual(row.groups, []);
    assert.ok(await db.directoryGroup.findUnique({ where: { id: bGroup } }));
  });
});

describe("SCIM deactivation", () => {
  it("ends a live portal session and an active grant at once: the grant row and the check API say so", async () => {
    const client = await createScimClient();
    const id = await newPerson(client);
    const session = await db.session.create({ data: { userId: id, expiresAt: new Date(Date.now() + 3_600_000) } });
    assert.equal((await resolveSession({ sessionId: session.id })).ok, true);
    const resource = await db.resource.create({
      data: { key: uniqueId("scim-res"), name: uniqueId("SCIM DB"), environment: "production", permissions: ["read"] },
    });
    const grant = await db.grant.create({
      data: {
        subjectId: id,
        resourceId: resource.id,
        permissions: ["read"],
        startsAt: new Date(Date.now() - 1000),
        expiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    const ask = await serviceChecker(api.url);
    const check = () => ask(id, resource.key);
    for (let i = 0; i < 50 && !(await check()).allowed; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await check()).allowed, true, "the grant holds before");

    const answer = await client.call("PATCH", `/Users/${id}`, patch([{ op: "replace", value: { active: false } }]));
    assert.equal(answer.status, 200);
    const after = await resolveSession({ sessionId: session.id });
    assert.equal(after.ok, false);
    const revoked = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    assert.notEqual(revoked.revokedAt, null, "revoked in the SCIM request itself");
    assert.equal(revoked.revokedById, null);
    const event = await db.auditEvent.findFirstOrThrow({ where: { action: "grant.revoke", targetId: grant.id } });
    assert.equal(event.actorType, "DIRECTORY");
    assert.equal(event.actorId, client.connectionId);
    assert.deepEqual(await check(), { allowed: false }, "the check API answers no right away");

    // Reactivation lets the person sign in again and gives nothing back.
    await client.call("PATCH", `/Users/${id}`, patch([{ op: "replace", value: { active: true } }]));
    const back = await db.user.findUniqueOrThrow({ where: { id } });
    assert.equal(back.deactivatedAt, null);
    assert.notEqual((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).revokedAt, null);
  });
});

describe("SCIM groups drive approver rights at once", () => {
  it("refuses a decision by an approver the directory removed from the approver group while the request was open", async () => {
    const client = await createScimClient();
    const approverGroup = uniqueId("scim-approvers");
    const engineers = uniqueId("scim-eng");
    const resource = await db.resource.create({
      data: { key: uniqueId("scim-dec"), name: uniqueId("SCIM decide"), environment: "staging", permissions: ["read"] },
    });
    const policy = await db.accessPolicy.create({
      data: {
        resourceId: resource.id,
        name: "read",
        permissions: ["read"],
        requesterGroups: [engineers],
        approverGroups: [approverGroup],
        defaultDurationMinutes: 30,
        maxDurationMinutes: 120,
        minJustificationLength: 5,
      },
    });
    const requester = await createActorWithPasskey({ groups: [engineers] });
    // The approver: a person of the directory, with a passkey and a live session.
    const { actor: approver, authenticator } = await createActorWithPasskey({ groups: [] });
    await db.user.update({
      where: { id: approver.userId },
      data: { issuer: client.issuer, directoryId: client.connectionId, scimUserName: `${approver.userId}@example.com` },
    });
    const group = await client.call("POST", "/Groups", {
      schemas: [GROUP],
      displayName: approverGroup,
      members: [{ value: approver.userId }],
    });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const request = await requestAccess({
      actor: requester.actor,
      input: { policyId: policy.id, permissions: ["read"], durationMinutes: 30, justification: "Look into the outage" },
    });
    // The approver opens the request: their session says approver, the step-up is issued.
    const opened = await resolveSession({ sessionId: approver.sessionId });
    assert.ok(opened.ok && opened.actor.roles.includes("approver"));
    const staleActor = opened.ok ? opened.actor : approver;
    const options = await startDecision({ actor: staleActor, requestId: request.requestId, decision: "APPROVE" });
    const assertion = await authenticator.assert(options);

    // The directory removes them from the approver group.
    const removed = await client.call(
      "PATCH",
      `/Groups/${group.body.id as string}`,
      patch([{ op: "remove", path: `members[value eq "${approver.userId}"]` }]),
    );
    assert.equal(removed.status, 200);

    // The decision, sent from the page opened before, is refused at decision time.
    await assert.rejects(
      decideRequest({ actor: staleActor, input: { requestId: request.requestId, decision: "APPROVE", assertion } }),
      appErrorWith("NOT_FOUND"),
    );
    const still = await db.accessRequest.findUniqueOrThrow({
      where: { id: request.requestId },
      include: { approvals: true },
    });
    assert.equal(still.status, "PENDING");
    assert.equal(still.approvals.length, 0);
    const now = await resolveSession({ sessionId: approver.sessionId });
    assert.ok(now.ok && !now.actor.roles.includes("approver"), "and the next page shows no approver role");
  });
});
