/**
 * An extension meets every rule a request meets (docs/decisions/0026): each test below tries
 * one way around a rule through an extension, against real PostgreSQL, and shows it fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TUserActor } from "../authz";
import { getConfig } from "../config";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { parseRiskSignals } from "../risk";
import { createActor, createActorWithPasskey, uniqueId } from "../testing/fixtures";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { decideRequest, startDecision } from "./decide-request";
import { requestExtension } from "./extend-grant";
import { requestAccess } from "./request-access";

after(disconnectDb);
const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

describe("extensions follow the rules of a request", () => {
  const engineers = uniqueId("eng");
  const oncall = uniqueId("oncall");
  const approvers = uniqueId("appr");
  let approver: TUserActor;
  let authenticator: TSoftwareAuthenticator;

  const approve = async (requestId: string) => {
    const options = await startDecision({ actor: approver, requestId, decision: "APPROVE" });
    return decideRequest({
      actor: approver,
      input: { requestId, decision: "APPROVE", assertion: await authenticator.assert(options) },
    });
  };

  /** A resource and its policy (max 60 minutes; on-call auto-approved for read), with overrides. */
  const createPolicy = async (overrides: Record<string, unknown> = {}) => {
    const resource = await db.resource.create({
      data: { key: uniqueId("db"), name: "Rules DB", environment: "staging", permissions: ["read"] },
    });
    return db.accessPolicy.create({
      data: {
        resourceId: resource.id,
        name: "read",
        permissions: ["read"],
        requesterGroups: [engineers, oncall],
        approverGroups: [approvers],
        defaultDurationMinutes: 30,
        maxDurationMinutes: 60,
        minJustificationLength: 5,
        autoApproveGroups: [oncall],
        autoApprovePermissions: ["read"],
        ...overrides,
      },
    });
  };

  /** A live 30-minute grant of `subject`'s under the policy, approved by the approver if needed. */
  const liveGrant = async (subject: TUserActor, policyId: string) => {
    const { requestId, status } = await requestAccess({
      actor: subject,
      input: { policyId, permissions: ["read"], durationMinutes: 30, justification: "investigate the incident" },
    });
    if (status === "PENDING") await approve(requestId);
    return db.grant.findUniqueOrThrow({ where: { requestId } });
  };

  before(async () => {
    ({ actor: approver, authenticator } = await createActorWithPasskey({ groups: [approvers] }));
    approver.roles.push("approver");
  });

  it("does not auto-extend a grant whose request risk held back from auto-approval", async () => {
    // Threshold 1: a first request for the resource (weight 1) reaches it.
    const policy = await createPolicy({ riskThreshold: 1, riskExtraApprovals: 0, riskBlocksAutoApproval: true });
    const subject = await createActor({ groups: [oncall] });
    const { requestId } = await requestAccess({
      actor: subject,
      input: { policyId: policy.id, permissions: ["read"], durationMinutes: 10, justification: "look at one row" },
    });
    assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).status, "PENDING");
    await approve(requestId); // approved briefly...
    const grant = await db.grant.findUniqueOrThrow({ where: { requestId } });

    // ...then the attempt: auto-extend to the maximum.
    const extension = await requestExtension({
      actor: subject,
      input: { grantId: grant.id, minutes: 50, justification: "just a little longer" },
    });
    assert.equal(extension.status, "PENDING", "an approver decides, as for the request");
    const after = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    assert.equal(after.expiresAt.getTime(), grant.expiresAt.getTime(), "the expiry has not moved");
    const stored = await db.accessRequest.findUniqueOrThrow({ where: { id: extension.requestId } });
    const codes = parseRiskSignals(stored.riskSignals).map((signal) => signal.code);
    assert.ok(codes.includes("near_max_duration"), `the extension's own signals are computed: ${codes.join(",")}`);
    const event = await db.auditEvent.findFirstOrThrow({
      where: { action: "grant.extension_request", targetId: extension.requestId },
    });
    assert.equal((event.details as { autoApprovalBlockedByRisk?: boolean }).autoApprovalBlockedByRisk, true);
  });

  it("holds back auto-approval when the extension's own risk reaches the threshold", async () => {
    // The request itself stays under the threshold; the extension does not.
    const policy = await createPolicy({ riskThreshold: 2, riskExtraApprovals: 1, riskBlocksAutoApproval: true });
    const subject = await createActor({ groups: [oncall] });
    const grant = await liveGrant(subject, policy.id); // first request (1) < 2: auto-approved
    assert.equal(
      (await db.accessRequest.findUniqueOrThrow({ where: { id: grant.requestId ?? "" } })).status,
      "APPROVED",
    );
    // 30 + 25 = 55 of 60 minutes is near the maximum (1), and three more recent requests make a burst (2).
    for (let index = 0; index < 3; index += 1)
      await db.accessRequest.create({
        data: {
          requesterId: subject.userId,
          resourceId: grant.resourceId,
          policyId: policy.id,
          permissions: ["read"],
          justification: "earlier",
          durationMinutes: 5,
          status: "CANCELLED",
          decideBy: new Date(),
        },
      });
    const extension = await requestExtension({
      actor: subject,
      input: { grantId: grant.id, minutes: 25, justification: "a burst of asking" },
    });
    assert.equal(extension.status, "PENDING");
    const stored = await db.accessRequest.findUniqueOrThrow({ where: { id: extension.requestId } });
    assert.ok(stored.riskScore >= 2);
    assert.equal(stored.extraApprovals, 1, "the risk rule's extra approval applies to the extension");
  });

  it("refuses an extension to a person no longer in the policy's requester groups, audited", async () => {
    const policy = await createPolicy();
    const subject = await createActor({ groups: [engineers] });
    const grant = await liveGrant(subject, policy.id);
    const removed = { ...subject, groups: ["somewhere-else"] }; // the IdP took them out of the group
    await assert.rejects(
      requestExtension({ actor: removed, input: { grantId: grant.id, minutes: 10, justification: "ten more" } }),
      isCode("FORBIDDEN"),
    );
    assert.equal(await db.accessRequest.count({ where: { extendsGrantId: grant.id } }), 0);
    assert.equal(
      await db.auditEvent.count({
        where: { action: "grant.extension_request", actorId: subject.userId, outcome: "DENIED" },
      }),
      1,
    );
  });

  it("refuses an extension on an archived resource", async () => {
    const policy = await createPolicy();
    const subject = await createActor({ groups: [oncall] });
    const grant = await liveGrant(subject, policy.id);
    await db.resource.update({ where: { id: grant.resourceId }, data: { archivedAt: new Date() } });
    await assert.rejects(
      requestExtension({ actor: subject, input: { grantId: grant.id, minutes: 10, justification: "ten more" } }),
      isCode("FORBIDDEN"),
    );
    const after = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    assert.equal(after.expiresAt.getTime(), grant.expiresAt.getTime());
  });

  it("lets only one of two simultaneous auto-approved extensions use the remaining headroom", async () => {
    const policy = await createPolicy();
    const subject = await createActor({ groups: [oncall] });
    const grant = await liveGrant(subject, policy.id); // 30 of 60 minutes
    const attempt = (justification: string) =>
      requestExtension({ actor: subject, input: { grantId: grant.id, minutes: 30, justification } });
    const results = await Promise.allSettled([attempt("first of two at once"), attempt("second of two at once")]);
    const fulfilled = results.filter((result) => result.status === "fulfilled");
    const rejected = results.filter((result) => result.status === "rejected");
    assert.equal(fulfilled.length, 1, "exactly one extension goes through");
    assert.equal(rejected.length, 1);
    assert.ok(
      rejected[0]?.status === "rejected" &&
        rejected[0].reason instanceof AppError &&
        /already at the policy's maximum/.test(rejected[0].reason.fields.minutes ?? ""),
      "the other is told the grant is at its maximum",
    );
    const after = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    assert.equal((after.expiresAt.getTime() - after.startsAt.getTime()) / 60_000, 60, "never above the maximum");
    assert.equal(await db.accessRequest.count({ where: { extendsGrantId: grant.id } }), 1, "nothing half-written");
  });

  it("alerts security on every channel when a break-glass grant is extended", async () => {
    const policy = await createPolicy();
    const subject = await createActor({ groups: [engineers] });
    const reviewer = await createActor({ groups: [getConfig().securityGroups[0] ?? "security-reviewers"] });
    const now = new Date();
    const request = await db.accessRequest.create({
      data: {
        requesterId: subject.userId,
        resourceId: policy.resourceId,
        policyId: policy.id,
        permissions: ["read"],
        justification: "the primary is down and paging",
        durationMinutes: 20,
        status: "APPROVED",
        breakGlass: true,
        decideBy: now,
        decidedAt: now,
      },
    });
    const grant = await db.grant.create({
      data: {
        requestId: request.id,
        subjectId: subject.userId,
        resourceId: policy.resourceId,
        permissions: ["read"],
        startsAt: now,
        expiresAt: new Date(now.getTime() + 20 * 60_000),
        breakGlass: true,
      },
    });
    const { requestId, status } = await requestExtension({
      actor: subject,
      input: { grantId: grant.id, minutes: 15, justification: "the incident goes on" },
    });
    assert.equal(status, "PENDING");
    assert.equal(
      await db.notification.count({ where: { userId: reviewer.userId, kind: "grant.break_glass_extended" } }),
      0,
      "nothing happened yet",
    );
    await approve(requestId);
    const alert = await db.notification.findFirstOrThrow({
      where: { userId: reviewer.userId, kind: "grant.break_glass_extended" },
    });
    assert.match(alert.title, /Break-glass extended/);
    const event = await db.auditEvent.findFirstOrThrow({ where: { action: "grant.extended", targetId: grant.id } });
    assert.equal((event.details as { breakGlass?: boolean }).breakGlass, true);
  });
});
