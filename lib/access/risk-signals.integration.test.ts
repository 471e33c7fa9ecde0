/**
 * Risk signals computed at submission, against real PostgreSQL: each signal fires when its
 * rule is met and stays quiet when it is not; the policies' risk rules add approvals and
 * hold back auto-approval.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TUserActor } from "../authz";
import { signInUser } from "../auth/sign-in";
import { db, disconnectDb } from "../db";
import { parseRiskSignals } from "../risk";
import { createActor, createActorWithPasskey, TEST_ISSUER, uniqueId } from "../testing/fixtures";
import { decideRequest, startDecision } from "./decide-request";
import { requestAccess } from "./request-access";

after(disconnectDb);

const CHROME_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const HOME = { ip: "203.0.113.5", userAgent: CHROME_LINUX };

describe("risk signals at submission", () => {
  const engineers = uniqueId("eng");
  const oncall = uniqueId("oncall");
  const approvers = uniqueId("appr");
  let prod = { id: "", policyId: "", riskyPolicyId: "" };
  let staging = { id: "", policyId: "" };

  before(async () => {
    const common = {
      requesterGroups: [engineers, oncall],
      approverGroups: [approvers],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 100,
      minJustificationLength: 5,
    };
    const prodResource = await db.resource.create({
      data: { key: uniqueId("prod"), name: "Prod", environment: "production", permissions: ["read", "write", "admin"] },
    });
    const stagingResource = await db.resource.create({
      data: { key: uniqueId("stg"), name: "Staging", environment: "staging", permissions: ["read", "write"] },
    });
    prod = {
      id: prodResource.id,
      policyId: (
        await db.accessPolicy.create({
          data: { ...common, resourceId: prodResource.id, name: "rw", permissions: ["read", "write"] },
        })
      ).id,
      riskyPolicyId: (
        await db.accessPolicy.create({
          data: {
            ...common,
            resourceId: prodResource.id,
            name: "admin",
            permissions: ["admin"],
            autoApproveGroups: [oncall],
            autoApprovePermissions: ["admin"],
            riskThreshold: 4,
            riskExtraApprovals: 1,
            riskBlocksAutoApproval: true,
          },
        })
      ).id,
    };
    staging = {
      id: stagingResource.id,
      policyId: (
        await db.accessPolicy.create({
          data: { ...common, resourceId: stagingResource.id, name: "rw", permissions: ["read", "write"] },
        })
      ).id,
    };
  });

  /** Earlier requests of this person, as rows (cancelled, so they block nothing). */
  const history = async (
    actor: TUserActor,
    times: Date[],
    resourceId = staging.id,
    policyId = staging.policyId,
    source = HOME,
  ) => {
    for (const createdAt of times) {
      await db.accessRequest.create({
        data: {
          requesterId: actor.userId,
          resourceId,
          policyId,
          permissions: ["read"],
          justification: "earlier",
          durationMinutes: 30,
          status: "CANCELLED",
          decideBy: createdAt,
          createdAt,
          sourceIp: source.ip,
          userAgent: source.userAgent,
        },
      });
    }
  };
  /** An earlier sign-in of this person (its own session, not the actor's current one). */
  const signedInBefore = async (actor: TUserActor, context = HOME) => {
    const user = await db.user.findUniqueOrThrow({ where: { id: actor.userId } });
    await signInUser({
      issuer: TEST_ISSUER,
      identity: { subject: user.subject, email: user.email, name: user.name, groups: user.groups },
      context,
    });
  };
  const submit = async (
    actor: TUserActor,
    options: {
      policyId?: string;
      permissions?: string[];
      durationMinutes?: number;
      context?: { ip?: string; userAgent?: string };
      now?: Date;
    } = {},
  ) => {
    const { requestId, status } = await requestAccess({
      actor,
      input: {
        policyId: options.policyId ?? staging.policyId,
        permissions: options.permissions ?? ["read"],
        durationMinutes: options.durationMinutes ?? 30,
        justification: "routine check",
      },
      context: options.context ?? HOME,
      now: options.now,
    });
    const request = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
    return { status, request, codes: parseRiskSignals(request.riskSignals).map((signal) => signal.code) };
  };
  /** A person whose history makes every signal quiet for an ordinary staging read. */
  const regular = async (groups = [engineers]) => {
    const actor = await createActor({ groups });
    await signedInBefore(actor);
    await history(actor, [new Date(Date.now() - 2 * 24 * 3_600_000)]);
    return actor;
  };

  it("an ordinary request raises nothing; its source is recorded", async () => {
    const { codes, request } = await submit(await regular());
    assert.deepEqual(codes, []);
    assert.equal(request.riskScore, 0);
    assert.equal(request.sourceIp, HOME.ip);
    assert.equal(request.userAgent, CHROME_LINUX);
  });

  it("first request for this resource: fires for a newcomer, with its reason, weight and score, and is audited", async () => {
    const actor = await createActor({ groups: [engineers] });
    const { codes, request } = await submit(actor);
    assert.deepEqual(codes, ["first_request_for_resource"]);
    assert.deepEqual(parseRiskSignals(request.riskSignals)[0], {
      code: "first_request_for_resource",
      reason: `First request by this person for ${(await db.resource.findUniqueOrThrow({ where: { id: staging.id } })).key}.`,
      weight: 1,
    });
    assert.equal(request.riskScore, 1);
    const event = await db.auditEvent.findFirstOrThrow({ where: { action: "request.create", targetId: request.id } });
    assert.deepEqual((event.details as { riskSignals: string[] }).riskSignals, ["first_request_for_resource"]);
  });

  it("outside usual hours: fires more than an hour from every earlier request, quiet within", async () => {
    const day = 24 * 3_600_000;
    const today = new Date(new Date().toISOString().slice(0, 10) + "T00:00:00Z").getTime();
    const usual = [1, 2, 3, 4, 5].map((ago) => new Date(today - ago * day + 10 * 3_600_000 + ago * 60_000));
    // Not regular(): its earlier request is at the current hour, which would make any hour of the test usual.
    const withUsualHours = async () => {
      const actor = await createActor({ groups: [engineers] });
      await signedInBefore(actor);
      return actor;
    };
    const night = await withUsualHours();
    await history(night, usual);
    assert.deepEqual((await submit(night, { now: new Date(today + day + 3 * 3_600_000) })).codes, [
      "outside_usual_hours",
    ]);
    const morning = await withUsualHours();
    await history(morning, usual);
    assert.deepEqual((await submit(morning, { now: new Date(today + day + 10.5 * 3_600_000) })).codes, []);
    const newcomer = await withUsualHours();
    await history(newcomer, usual.slice(0, 4));
    assert.deepEqual(
      (await submit(newcomer, { now: new Date(today + day + 3 * 3_600_000) })).codes,
      [],
      "fewer than five earlier requests define no usual hours",
    );
  });

  it("a device or network not seen at earlier sign-ins or requests: fires for each, quiet for the known ones", async () => {
    const traveller = await regular();
    const { codes, request } = await submit(traveller, { context: { ip: "198.51.100.7", userAgent: FIREFOX_WINDOWS } });
    assert.deepEqual(codes, ["new_device", "new_network"]);
    assert.match(parseRiskSignals(request.riskSignals)[0]?.reason ?? "", /Firefox on Windows/);
    // The same /24 and the same browser family (another version) are known.
    const homebody = await regular();
    assert.deepEqual(
      (await submit(homebody, { context: { ip: "203.0.113.200", userAgent: CHROME_LINUX.replace("131.0", "133.0") } }))
        .codes,
      [],
    );
    // The current session's own sign-in is not history: a person whose only sign-in is this one has nothing to compare with.
    const fresh = await createActor({ groups: [engineers] });
    await history(fresh, [new Date(Date.now() - 2 * 24 * 3_600_000)], staging.id, staging.policyId, {
      ip: "",
      userAgent: "",
    });
    assert.deepEqual((await submit(fresh, { context: { ip: "198.51.100.7", userAgent: FIREFOX_WINDOWS } })).codes, []);
  });

  it("recent flagged usage: fires with the count and the latest reason; unflagged and older signals do not count", async () => {
    const flagged = await regular();
    const signal = (daysAgo: number, reason: string, isFlagged = true) =>
      db.usageSignal.create({
        data: {
          userId: flagged.userId,
          resourceId: staging.id,
          clientId: "usage-reporter",
          event: "bulk_export",
          flagged: isFlagged,
          reason,
          createdAt: new Date(Date.now() - daysAgo * 24 * 3_600_000),
        },
      });
    await signal(10, "too old to count");
    await signal(3, "500 exports in a minute");
    await signal(2, "not flagged", false);
    await signal(1, "2,000 rows read in a minute");
    const { codes, request } = await submit(flagged);
    assert.deepEqual(codes, ["recent_usage_anomaly"]);
    assert.match(
      parseRiskSignals(request.riskSignals)[0]?.reason ?? "",
      /^2 flagged usage signals .*the latest: 2,000 rows read in a minute$/,
    );
    // Someone else's signals are theirs.
    assert.deepEqual((await submit(await regular())).codes, []);
  });

  it("a burst: fires on the fourth request within an hour, quiet on the third", async () => {
    const recent = (minutes: number[]) => minutes.map((ago) => new Date(Date.now() - ago * 60_000));
    const busy = await regular();
    await history(busy, recent([5, 20, 50]), prod.id, prod.policyId);
    assert.deepEqual((await submit(busy)).codes, ["request_burst"]);
    const calm = await regular();
    await history(calm, recent([5, 20, 70]), prod.id, prod.policyId);
    assert.deepEqual((await submit(calm)).codes, []);
  });

  it("duration near the maximum: fires from 80 % of the policy's maximum", async () => {
    assert.deepEqual((await submit(await regular(), { durationMinutes: 80 })).codes, ["near_max_duration"]);
    assert.deepEqual((await submit(await regular(), { durationMinutes: 79 })).codes, []);
  });

  it("write or admin on a production resource: fires; read on production or write on staging does not", async () => {
    const person = await regular();
    await history(person, [new Date(Date.now() - 2 * 24 * 3_600_000)], prod.id, prod.policyId);
    assert.deepEqual((await submit(person, { policyId: prod.policyId, permissions: ["write"] })).codes, [
      "production_privileged",
    ]);
    const reader = await regular();
    await history(reader, [new Date(Date.now() - 2 * 24 * 3_600_000)], prod.id, prod.policyId);
    assert.deepEqual((await submit(reader, { policyId: prod.policyId, permissions: ["read"] })).codes, []);
    assert.deepEqual((await submit(await regular(), { permissions: ["write"] })).codes, []);
  });
});

describe("policy risk thresholds", () => {
  const oncall = uniqueId("oncall");
  const approvers = uniqueId("appr");
  let policyId = "";
  let resourceId = "";

  before(async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("risky"), name: "Risky", environment: "staging", permissions: ["read"] },
    });
    resourceId = resource.id;
    policyId = (
      await db.accessPolicy.create({
        data: {
          resourceId,
          name: "read",
          permissions: ["read"],
          requesterGroups: [oncall],
          approverGroups: [approvers],
          approvalsRequired: 1,
          defaultDurationMinutes: 30,
          maxDurationMinutes: 100,
          minJustificationLength: 5,
          autoApproveGroups: [oncall],
          autoApprovePermissions: ["read"],
          riskThreshold: 2,
          riskExtraApprovals: 1,
          riskBlocksAutoApproval: true,
        },
      })
    ).id;
  });

  const ask = (actor: TUserActor, durationMinutes: number) =>
    requestAccess({
      actor,
      input: { policyId, permissions: ["read"], durationMinutes, justification: "on-call check" },
      context: HOME,
    });

  it("below the threshold the auto-approval rule applies as before", async () => {
    const actor = await createActor({ groups: [oncall] });
    const result = await ask(actor, 30); // first request: score 1
    assert.equal(result.status, "APPROVED");
    assert.ok(result.grantId);
  });

  it("at the threshold: no auto-approval, one more approval needed, each from a distinct approver", async () => {
    const actor = await createActor({ groups: [oncall] });
    const result = await ask(actor, 90); // first request + near the maximum: score 2
    assert.equal(result.status, "PENDING");
    const request = await db.accessRequest.findUniqueOrThrow({ where: { id: result.requestId } });
    assert.equal(request.riskScore, 2);
    assert.equal(request.extraApprovals, 1);
    const event = await db.auditEvent.findFirstOrThrow({
      where: { action: "request.create", targetId: result.requestId },
    });
    assert.equal((event.details as { autoApprovalBlockedByRisk?: boolean }).autoApprovalBlockedByRisk, true);
    assert.equal(await db.grant.count({ where: { requestId: result.requestId } }), 0);

    const decide = async (person: Awaited<ReturnType<typeof createActorWithPasskey>>) => {
      person.actor.roles.push("approver");
      const options = await startDecision({ actor: person.actor, requestId: result.requestId, decision: "APPROVE" });
      return decideRequest({
        actor: person.actor,
        input: {
          requestId: result.requestId,
          decision: "APPROVE",
          assertion: await person.authenticator.assert(options),
        },
      });
    };
    const first = await decide(await createActorWithPasskey({ groups: [approvers] }));
    assert.deepEqual(
      { status: first.status, approvals: first.approvals, required: first.required },
      { status: "PENDING", approvals: 1, required: 2 },
    );
    const second = await decide(await createActorWithPasskey({ groups: [approvers] }));
    assert.equal(second.status, "APPROVED");
    assert.equal(await db.grant.count({ where: { requestId: result.requestId } }), 1);
  });

  it("a later change of the policy does not change what a pending request needs", async () => {
    const actor = await createActor({ groups: [oncall] });
    const { requestId } = await ask(actor, 95);
    await db.accessPolicy.update({ where: { id: policyId }, data: { riskExtraApprovals: 3 } });
    try {
      assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).extraApprovals, 1);
    } finally {
      await db.accessPolicy.update({ where: { id: policyId }, data: { riskExtraApprovals: 1 } });
    }
  });
});
