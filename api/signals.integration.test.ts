/**
 * POST /api/v1/signals (ADR 0042) through the real services API server on an ephemeral port,
 * against real PostgreSQL and Redis: the scope is enforced (a token without signals:write and a
 * person's token are refused), bad bodies get a 400 naming the field, a baseline builds and an
 * outlier flags, a policy's ceiling flags at once, and each policy response does what it says:
 * "revoke" ends the grant in the same call (the check says no on return, the deprovisioning
 * delivery is queued), "extra_approval" adds one approval to the next request only, "alert"
 * tells security and leaves the grant. A flagged signal is a risk signal on the next request.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cancelRequest, requestAccess } from "../lib/access";
import { getConfig } from "../lib/config";
import { db, disconnectDb } from "../lib/db";
import { confirmDeviceAuthorization } from "../lib/devices";
import { redis } from "../lib/redis";
import { parseRiskSignals } from "../lib/risk";
import { createServiceClient } from "../lib/services";
import { BASELINE_RULES } from "../lib/signals/baseline";
import { createActor, createHistoricGrant, createUser, uniqueId } from "../lib/testing/fixtures";
import { getGrantProvisioning } from "../lib/provisioning";
import { listFlaggedSignals, pruneUsageSignals } from "../lib/signals";
import { appErrorWith } from "../lib/testing/matchers";
import { createEndpoint } from "../lib/webhooks";
import { startApiServer, type TApiServer } from "./server";

const SYSTEM = { kind: "system", name: "test" } as const;
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

type TScope = "access:check" | "grants:read" | "signals:write";

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

const clientToken = async (scopes: TScope[], resourceKeys: string[] = []): Promise<string> => {
  const client = await createServiceClient({ actor: SYSTEM, input: { name: uniqueId("svc"), scopes, resourceKeys } });
  const res = await fetch(`${api.url}/api/v1/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: basic(client.clientId, client.clientSecret),
    },
    body: "grant_type=client_credentials",
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
};

type TSignalAnswer = {
  id: string;
  flagged: boolean;
  reason: string | null;
  response: string | null;
  revokedGrantIds: string[];
};

const post = (path: string, token: string | null, body: unknown) =>
  fetch(`${api.url}${path}`, {
    method: "POST",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const signal = async (token: string, body: Record<string, unknown>): Promise<TSignalAnswer> => {
  const res = await post("/api/v1/signals", token, body);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as TSignalAnswer;
};

const checks = async (token: string, subject: string, resource: string): Promise<boolean> => {
  const res = await post("/api/v1/access/check", token, { subject, resource, permission: "read" });
  assert.equal(res.status, 200);
  return ((await res.json()) as { allowed: boolean }).allowed;
};

/** A resource with one policy (its usage rules given), engineers of a group of its own request. */
const setup = async (usage: { usageResponse: string; usageCeilings?: Record<string, number> }) => {
  const group = uniqueId("eng");
  const resource = await db.resource.create({
    data: { key: uniqueId("sig"), name: uniqueId("Signals DB"), environment: "staging", permissions: ["read"] },
  });
  const policy = await db.accessPolicy.create({
    data: {
      resourceId: resource.id,
      name: "read",
      permissions: ["read"],
      requesterGroups: [group],
      approverGroups: [uniqueId("appr")],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 120,
      minJustificationLength: 5,
      autoApproveGroups: [group],
      autoApprovePermissions: ["read"],
      usageResponse: usage.usageResponse,
      usageCeilings: usage.usageCeilings ?? {},
    },
  });
  return { resource, policy, group };
};

const liveGrant = (subjectId: string, resourceId: string, policyId: string) =>
  createHistoricGrant({ subjectId, resourceId, policyId, startsAt: new Date(Date.now() - 60_000), minutes: 60 });

/** `count` usual reports of about 100 rows a minute, over windows of one minute and of 30 seconds. */
const buildBaseline = async (token: string, subject: string, resource: string, count = BASELINE_RULES.minSamples) => {
  for (let index = 0; index < count; index++) {
    const answer = await signal(token, {
      subject,
      resource,
      metric: "rows_read",
      value: index % 2 === 0 ? 90 + index * 2 : 50,
      window: index % 2 === 0 ? "PT1M" : "PT30S",
    });
    assert.equal(answer.flagged, false);
  }
};

const flaggedEvents = (userId: string) =>
  db.auditEvent.count({ where: { action: "usage.signal_flagged", targetId: userId } });

describe("POST /api/v1/signals: who may report", () => {
  it("refuses a token without signals:write (403 insufficient_scope), no token (401) and a person's token (401)", async () => {
    const person = await createActor();
    const body = { subject: person.email, resource: "anything", event: "bulk_export", severity: "high" };
    const checkOnly = await clientToken(["access:check", "grants:read"]);
    const refused = await post("/api/v1/signals", checkOnly, body);
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: string }).error, "insufficient_scope");
    assert.match(refused.headers.get("www-authenticate") ?? "", /scope="signals:write"/);

    assert.equal((await post("/api/v1/signals", null, body)).status, 401);

    const started = await fetch(`${api.url}/api/v1/oauth/device_authorization`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "client_id=jit-cli",
    });
    const grant = (await started.json()) as { device_code: string; user_code: string };
    await confirmDeviceAuthorization({
      actor: person,
      input: { userCode: grant.user_code, deviceName: "laptop", decision: "approve" },
    });
    const tokens = await fetch(`${api.url}/api/v1/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        device_code: grant.device_code,
        client_id: "jit-cli",
      }).toString(),
    });
    assert.equal(tokens.status, 200);
    const personToken = ((await tokens.json()) as { access_token: string }).access_token;
    assert.equal((await post("/api/v1/signals", personToken, body)).status, 401);
    assert.equal(await db.usageSignal.count({ where: { userId: person.userId } }), 0);
  });

  it("refuses a client limited to other resources (403) and stores nothing", async () => {
    const { resource } = await setup({ usageResponse: "alert" });
    const other = await setup({ usageResponse: "alert" });
    const person = await createUser();
    const token = await clientToken(["signals:write"], [other.resource.key]);
    const res = await post("/api/v1/signals", token, {
      subject: person.email,
      resource: resource.key,
      event: "bulk_export",
      severity: "critical",
    });
    assert.equal(res.status, 403);
    assert.equal(await db.usageSignal.count({ where: { userId: person.id } }), 0);
  });
});

describe("POST /api/v1/signals: bad input", () => {
  it("answers 400 naming the problem for each malformed body, and 404 for an unknown subject or resource", async () => {
    const { resource } = await setup({ usageResponse: "alert" });
    const person = await createUser();
    const token = await clientToken(["signals:write"]);
    const usage = { subject: person.email, resource: resource.key, metric: "rows_read", value: 10, window: "PT1M" };
    const cases: Array<[unknown, RegExp]> = [
      ["{not json", /must be JSON/],
      [{ ...usage, window: "P1D" }, /window: must be PT#S, PT#M or PT#H/],
      [{ ...usage, window: "PT1H30M" }, /window: must be PT#S/],
      [{ ...usage, window: undefined }, /window: is required with a metric/],
      [{ ...usage, value: -1 }, /value:/],
      [{ ...usage, metric: "Rows Read" }, /metric must be 1 to 64 characters/],
      [{ ...usage, event: "bulk_export", severity: "high" }, /not both/],
      [
        { subject: person.email, resource: resource.key },
        /send either metric, value and window, or event and severity/,
      ],
      [{ subject: person.email, resource: resource.key, event: "bulk_export", severity: "urgent" }, /severity/],
      [{ subject: person.email, resource: resource.key, event: "bulk_export" }, /severity: is required/],
      [{ ...usage, extra: 1 }, /extra|Unrecognized/i],
    ];
    for (const [body, message] of cases) {
      const res = await post("/api/v1/signals", token, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const answer = (await res.json()) as { error: string; message: string };
      assert.equal(answer.error, "invalid_request");
      assert.match(answer.message, message, JSON.stringify(body));
    }
    const nobody = await post("/api/v1/signals", token, { ...usage, subject: "nobody@example.com" });
    assert.equal(nobody.status, 404);
    assert.match(((await nobody.json()) as { message: string }).message, /No such subject/);
    const unverified = await createUser({ email: null });
    const byId = await post("/api/v1/signals", token, { ...usage, subject: unverified.id });
    assert.equal(byId.status, 200, "a user id names the person");
    const noResource = await post("/api/v1/signals", token, { ...usage, resource: "no-such-resource" });
    assert.equal(noResource.status, 404);
    assert.match(((await noResource.json()) as { message: string }).message, /No such resource: no-such-resource/);
    assert.equal(await db.usageSignal.count({ where: { userId: person.id } }), 0);
  });
});

describe("POST /api/v1/signals: baselines and responses", () => {
  it("alert only: builds a baseline without audit events, flags the outlier once, tells security and the person, leaves the grant", async () => {
    const { resource, policy } = await setup({ usageResponse: "alert" });
    const person = await createUser();
    const reviewer = await createUser({ groups: [getConfig().securityGroups[0] ?? "security"] });
    await liveGrant(person.id, resource.id, policy.id);
    const token = await clientToken(["signals:write", "access:check"]);
    const subject = `${person.issuer}#${person.subject}`;
    await buildBaseline(token, subject, resource.key);
    assert.equal(await flaggedEvents(person.id), 0, "unflagged reports are not chain events");

    const usual = await signal(token, {
      subject,
      resource: resource.key,
      metric: "rows_read",
      value: 130,
      window: "PT1M",
    });
    assert.equal(usual.flagged, false);
    const outlier = await signal(token, {
      subject,
      resource: resource.key,
      metric: "rows_read",
      value: 100_000,
      window: "PT1M",
    });
    assert.equal(outlier.flagged, true);
    assert.equal(outlier.response, "alert");
    assert.match(outlier.reason ?? "", /rows_read at 100000\/min is far above this person's usual 100\/min/);
    assert.deepEqual(outlier.revokedGrantIds, []);
    assert.equal(await flaggedEvents(person.id), 1);
    const stored = await db.usageSignal.findUniqueOrThrow({ where: { id: outlier.id } });
    assert.equal(stored.flagged, true);
    assert.equal((stored.baseline as { median: number }).median, 100);
    assert.equal(await checks(token, subject, resource.key), true, "alert only leaves the grant");
    const notices = await db.notification.findMany({
      where: { kind: "usage.signal_flagged", userId: { in: [person.id, reviewer.id] } },
    });
    assert.deepEqual(notices.map((notice) => notice.userId).sort(), [person.id, reviewer.id].sort());
  });

  it("revoke: a report above the policy's ceiling flags at once and ends the grant in the same call; the check says no on return and the deprovisioning is queued", async () => {
    const { resource, policy } = await setup({ usageResponse: "revoke", usageCeilings: { rows_read: 1_000 } });
    const admin = await createActor({ groups: ["portal-admins"] });
    const { endpointId } = await createEndpoint({
      actor: admin,
      resourceKey: resource.key,
      url: "http://127.0.0.1:9/deprovision",
      events: ["grant.revoked"],
    });
    const person = await createUser();
    const { grant } = await liveGrant(person.id, resource.id, policy.id);
    const token = await clientToken(["signals:write", "access:check"]);
    await api.replica.sync();
    assert.equal(await checks(token, person.email, resource.key), true);

    const below = await signal(token, {
      subject: person.email,
      resource: resource.key,
      metric: "rows_read",
      value: 500,
      window: "PT30S",
    });
    assert.equal(below.flagged, false, "exactly at the ceiling (1000/min) does not flag");
    const above = await signal(token, {
      subject: person.email,
      resource: resource.key,
      metric: "rows_read",
      value: 5_000,
      window: "PT1M",
    });
    assert.equal(above.flagged, true);
    assert.equal(above.response, "revoke");
    assert.equal(above.reason, "rows_read at 5000/min is above the policy's ceiling of 1000/min.");
    assert.deepEqual(above.revokedGrantIds, [grant.id]);
    assert.equal(await checks(token, person.email, resource.key), false, "the check says no once the call returns");

    const ended = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    assert.ok(ended.revokedAt);
    assert.match(ended.revokeReason ?? "", /^usage signal: rows_read at 5000\/min/);
    const delivery = await db.webhookDelivery.findFirstOrThrow({
      where: { grantId: grant.id, endpointId, eventType: "grant.revoked" },
    });
    assert.equal(delivery.cancelledAt, null);
    assert.ok(await db.outboxJob.count({ where: { jobId: { contains: delivery.id } } }));
    const revocation = await db.auditEvent.findFirstOrThrow({ where: { action: "grant.revoke", targetId: grant.id } });
    assert.equal(revocation.actorType, "SERVICE");
    assert.equal(await flaggedEvents(person.id), 1);

    // The grant's timeline and the Security area's Signals page say why.
    const page = await getGrantProvisioning({ actor: admin, grantId: grant.id });
    assert.ok(
      page.timeline.some(
        (entry) =>
          entry.kind === "signal" &&
          entry.message ===
            "Usage signal flagged: rows_read at 5000/min is above the policy's ceiling of 1000/min. The policy ended the grant.",
      ),
    );
    const listed = await listFlaggedSignals({ actor: admin });
    const row = listed.signals.find((item) => item.id === above.id);
    assert.equal(row?.response, "revoke");
    assert.equal(row?.grantId, grant.id);
    const engineer = await createActor();
    await assert.rejects(listFlaggedSignals({ actor: engineer }), appErrorWith("FORBIDDEN"));
  });

  it("extra_approval: a high event makes the next request need one more approval (no auto-approval), and only the next", async () => {
    const { resource, policy, group } = await setup({ usageResponse: "extra_approval" });
    const person = await createActor({ groups: [group] });
    const token = await clientToken(["signals:write"]);
    const low = await signal(token, {
      subject: person.email,
      resource: resource.key,
      event: "bulk_export",
      severity: "medium",
    });
    assert.equal(low.flagged, false, "low and medium events do not flag");
    const high = await signal(token, {
      subject: person.email,
      resource: resource.key,
      event: "bulk_export",
      severity: "high",
    });
    assert.equal(high.flagged, true);
    assert.equal(high.response, "extra_approval");

    const ask = () =>
      requestAccess({
        actor: person,
        input: { policyId: policy.id, permissions: ["read"], durationMinutes: 30, justification: "routine work" },
      });
    const next = await ask();
    assert.equal(next.status, "PENDING", "the auto-approval rule does not apply to the request that owes an approval");
    const stored = await db.accessRequest.findUniqueOrThrow({ where: { id: next.requestId } });
    assert.equal(stored.extraApprovals, 1);
    const codes = parseRiskSignals(stored.riskSignals).map((item) => item.code);
    assert.ok(codes.includes("usage_extra_approval"), "approvers see why");
    assert.ok(codes.includes("recent_usage_anomaly"), "the flagged signal is a risk signal");
    const demand = await db.usageApprovalDemand.findUniqueOrThrow({ where: { signalId: high.id } });
    assert.equal(demand.consumedById, next.requestId);

    await cancelRequest({ actor: person, requestId: next.requestId });
    const after = await ask();
    assert.equal(after.status, "APPROVED", "the request after that is auto-approved again");
    const afterStored = await db.accessRequest.findUniqueOrThrow({ where: { id: after.requestId } });
    assert.equal(afterStored.extraApprovals, 0);
  });
});

describe("pruning usage reports", () => {
  it("deletes unflagged reports past the baseline window and keeps flagged ones and recent ones", async () => {
    const person = await createUser();
    const { resource } = await setup({ usageResponse: "alert" });
    const client = await createServiceClient({
      actor: SYSTEM,
      input: { name: uniqueId("svc"), scopes: ["signals:write"], resourceKeys: [] },
    });
    const row = (days: number, flagged: boolean) =>
      db.usageSignal.create({
        data: {
          userId: person.id,
          resourceId: resource.id,
          clientId: client.clientId,
          metric: "rows_read",
          value: 1,
          windowSeconds: 60,
          perMinute: 1,
          flagged,
          createdAt: new Date(Date.now() - days * 24 * 3_600_000),
        },
      });
    const old = await row(BASELINE_RULES.days + 1, false);
    const oldFlagged = await row(BASELINE_RULES.days + 1, true);
    const recent = await row(BASELINE_RULES.days - 1, false);
    await pruneUsageSignals({});
    const left = await db.usageSignal.findMany({ where: { userId: person.id }, select: { id: true } });
    assert.deepEqual(left.map((item) => item.id).sort(), [oldFlagged.id, recent.id].sort());
    assert.ok(!left.some((item) => item.id === old.id));
  });
});
