/**
 * Requests filed for a teammate (ADR 0057) against real PostgreSQL, with software
 * authenticators for the decisions. The grant is the teammate's and waits for their
 * acknowledgment; neither of the two people decides it; each rule is attacked.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rolesForGroups, type TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { createDelegation } from "../delegation";
import { createActorWithPasskey, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { cancelRequest } from "./cancel-request";
import { decideRequest, startDecision } from "./decide-request";
import { getRequestDetail } from "./get-request";
import { expireStaleRequests } from "./lifecycle";
import { acknowledgeRequest } from "./on-behalf";
import { requestAccess } from "./request-access";
import { setUserActive } from "../users/set-user-active";

after(disconnectDb);

type TPerson = { actor: TUserActor & { email: string | null }; authenticator: TSoftwareAuthenticator };

const person = async (groups: string[], approver = false): Promise<TPerson> => {
  const created = await createActorWithPasskey({ groups });
  created.actor.roles = [...rolesForGroups(groups), ...(approver ? (["approver"] as const) : [])];
  return created;
};

const decide = async (who: TPerson, requestId: string, decision: "APPROVE" | "DENY", comment?: string) => {
  const options = await startDecision({ actor: who.actor, requestId, decision });
  const assertion = await who.authenticator.assert(options);
  return decideRequest({ actor: who.actor, input: { requestId, decision, comment, assertion } });
};

describe("requests filed for a teammate", () => {
  const oncall = uniqueId("oncall");
  const approvers = uniqueId("appr");
  let policyId = "";
  let closedPolicyId = "";
  let approver: TPerson;

  before(async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("pager"), name: "Pager DB", environment: "production", permissions: ["read", "write"] },
    });
    const base = {
      resourceId: resource.id,
      requesterGroups: [oncall],
      approverGroups: [approvers],
      approvalsRequired: 1,
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      minJustificationLength: 10,
      // The filer's group is auto-approved: a request for someone else still goes to people.
      autoApproveGroups: [oncall],
      autoApprovePermissions: ["read"],
    };
    policyId = (
      await db.accessPolicy.create({
        data: { ...base, name: "handover", permissions: ["read"], onBehalfOfAllowed: true },
      })
    ).id;
    closedPolicyId = (await db.accessPolicy.create({ data: { ...base, name: "own only", permissions: ["write"] } })).id;
    approver = await person([approvers], true);
  });

  const file = async (filer: TPerson, beneficiary: TPerson, policy = policyId, permission = "read") =>
    requestAccess({
      actor: filer.actor,
      input: {
        policyId: policy,
        permissions: [permission],
        durationMinutes: 30,
        justification: "Handing INC-42 to the next on-call",
        onBehalfOfEmail: beneficiary.actor.email ?? "",
      },
    });

  const grantsOf = (userId: string) => db.grant.count({ where: { subjectId: userId } });

  it("makes the request the teammate's, tells them and the approvers, and audits both names", async () => {
    const filer = await person([oncall]);
    const next = await person([oncall]);
    const { requestId, status } = await file(filer, next);
    assert.equal(status, "PENDING", "never auto-approved for someone else");
    const row = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.equal(row.requesterId, next.actor.userId);
    assert.equal(row.filedById, filer.actor.userId);
    const told = await db.notification.findFirstOrThrow({
      where: { userId: next.actor.userId, kind: "request.filed_for_you" },
    });
    assert.equal(told.link, `/requests/${requestId}`);
    const waiting = await db.notification.findFirstOrThrow({
      where: { userId: approver.actor.userId, kind: "request.waiting", link: `/requests/${requestId}` },
    });
    assert.match(waiting.title, new RegExp(`for ${next.actor.name}`));
    const created = await db.auditEvent.findFirstOrThrow({ where: { targetId: requestId, action: "request.create" } });
    assert.equal(created.actorId, filer.actor.userId);
    assert.equal((created.details as Record<string, unknown>).forUserId, next.actor.userId);
    const detail = await getRequestDetail({ actor: filer.actor, requestId });
    assert.equal(detail.timeline[0]?.text, `Submitted by ${filer.actor.name} for ${next.actor.name}`);
    assert.equal(detail.viewer.canAcknowledge, false, "the filer cannot acknowledge for them");
    assert.equal((await getRequestDetail({ actor: next.actor, requestId })).viewer.canAcknowledge, true);
  });

  it("holds nothing for the teammate until they acknowledge, then grants at once", async () => {
    const filer = await person([oncall]);
    const next = await person([oncall]);
    const { requestId } = await file(filer, next);
    const result = await decide(approver, requestId, "APPROVE");
    assert.deepEqual([result.status, result.grantId, result.awaitingAcknowledgment], ["APPROVED", null, true]);
    assert.equal(await grantsOf(next.actor.userId), 0, "approved, unacknowledged: no grant");
    assert.equal(await grantsOf(filer.actor.userId), 0);

    // Nobody else acknowledges for them: not the filer, not the approver.
    await assert.rejects(acknowledgeRequest({ actor: filer.actor, requestId }), appErrorWith("FORBIDDEN"));
    await assert.rejects(acknowledgeRequest({ actor: approver.actor, requestId }), appErrorWith("FORBIDDEN"));
    assert.equal(await grantsOf(next.actor.userId), 0);

    const { grantId } = await acknowledgeRequest({ actor: next.actor, requestId });
    assert.ok(grantId);
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId } });
    assert.equal(grant.subjectId, next.actor.userId);
    const acknowledged = await db.auditEvent.findFirstOrThrow({
      where: { targetId: requestId, action: "request.acknowledge" },
    });
    assert.equal(acknowledged.actorId, next.actor.userId);
    assert.equal(
      await db.notification.count({ where: { userId: filer.actor.userId, kind: "request.acknowledged" } }),
      1,
    );
    await assert.rejects(acknowledgeRequest({ actor: next.actor, requestId }), appErrorWith("CONFLICT", /already/));
    assert.equal(await db.grant.count({ where: { requestId } }), 1);
  });

  it("grants at the approval when the teammate acknowledged first", async () => {
    const filer = await person([oncall]);
    const next = await person([oncall]);
    const { requestId } = await file(filer, next);
    assert.deepEqual(await acknowledgeRequest({ actor: next.actor, requestId }), { grantId: null });
    const result = await decide(approver, requestId, "APPROVE");
    assert.equal(result.status, "APPROVED");
    assert.ok(result.grantId);
    assert.equal(result.awaitingAcknowledgment, undefined);
  });

  it("lets neither the filer nor the teammate decide, even as approvers or delegates", async () => {
    const filer = await person([oncall, approvers], true);
    const next = await person([oncall, approvers], true);
    const { requestId } = await file(filer, next);
    await assert.rejects(
      startDecision({ actor: filer.actor, requestId, decision: "APPROVE" }),
      appErrorWith("FORBIDDEN"),
    );
    await assert.rejects(
      startDecision({ actor: next.actor, requestId, decision: "APPROVE" }),
      appErrorWith("FORBIDDEN"),
    );
    // The filer's delegate carries no more than the filer holds.
    const cover = await person([uniqueId("none")], true);
    await db.accessPolicy.update({
      where: { id: closedPolicyId },
      data: { approverGroups: [approvers, cover.actor.groups[0] ?? ""] },
    });
    await createDelegation({
      actor: filer.actor,
      input: {
        delegateEmail: cover.actor.email ?? "",
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        reason: "Away today",
      },
    });
    await assert.rejects(
      startDecision({ actor: cover.actor, requestId, decision: "APPROVE" }),
      appErrorWith("FORBIDDEN"),
    );
  });

  it("refuses a policy that does not allow it, oneself, someone outside the requester groups and a stranger", async () => {
    const filer = await person([oncall]);
    const next = await person([oncall]);
    const outsider = await person([uniqueId("other")]);
    const before = await db.accessRequest.count();
    await assert.rejects(file(filer, next, closedPolicyId, "write"), appErrorWith("INVALID_INPUT", /does not take/));
    await assert.rejects(file(filer, filer), appErrorWith("INVALID_INPUT", /That is you/));
    await assert.rejects(file(filer, outsider), appErrorWith("INVALID_INPUT", /not in this policy's requester groups/));
    await assert.rejects(
      requestAccess({
        actor: filer.actor,
        input: {
          policyId,
          permissions: ["read"],
          durationMinutes: 30,
          justification: "Handing over",
          onBehalfOfEmail: "ghost@example.com",
        },
      }),
      appErrorWith("INVALID_INPUT", /Nobody active/),
    );
    // Someone outside the requester groups cannot file for anyone either.
    await assert.rejects(file(outsider, next), appErrorWith("FORBIDDEN"));
    assert.equal(await db.accessRequest.count(), before, "nothing written");
    // The teammate's own pending request blocks a second one filed for them.
    await file(filer, next);
    await assert.rejects(
      file(await person([oncall]), next),
      appErrorWith("CONFLICT", new RegExp(`${next.actor.name} already has`)),
    );
  });

  it("refuses an acknowledgment after a denial, and expires an approval nobody acknowledged", async () => {
    const filer = await person([oncall]);
    const next = await person([oncall]);
    const denied = await file(filer, next);
    await decide(approver, denied.requestId, "DENY", "Not this one");
    await assert.rejects(
      acknowledgeRequest({ actor: next.actor, requestId: denied.requestId }),
      appErrorWith("CONFLICT"),
    );
    const denialNotices = await db.notification.count({
      where: { userId: filer.actor.userId, kind: "request.denied" },
    });
    assert.equal(denialNotices, 1, "the filer is told of the denial too");

    const later = await person([oncall]);
    const approved = await file(filer, later);
    await decide(approver, approved.requestId, "APPROVE");
    const row = await db.accessRequest.findUniqueOrThrow({ where: { id: approved.requestId } });
    const afterWindow = new Date(row.decideBy.getTime() + 1000);
    await expireStaleRequests({ now: afterWindow });
    assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: approved.requestId } })).status, "EXPIRED");
    await assert.rejects(
      acknowledgeRequest({ actor: later.actor, requestId: approved.requestId, now: afterWindow }),
      appErrorWith("CONFLICT"),
    );
    assert.equal(await grantsOf(later.actor.userId), 0);
  });

  it("lets the teammate decline an approved request that waits for them, and tells the filer", async () => {
    const filer = await person([oncall]);
    const next = await person([oncall]);
    const { requestId } = await file(filer, next);
    await decide(approver, requestId, "APPROVE");
    await cancelRequest({ actor: next.actor, requestId });
    assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).status, "CANCELLED");
    await assert.rejects(acknowledgeRequest({ actor: next.actor, requestId }), appErrorWith("CONFLICT"));
    assert.equal(await db.notification.count({ where: { userId: filer.actor.userId, kind: "request.cancelled" } }), 1);
    assert.equal(await grantsOf(next.actor.userId), 0);
  });

  it("cancels what a deactivated filer filed and no grant came of, and leaves a granted one to its holder", async () => {
    const filer = await person([oncall]);
    const [pending, approved, granted] = [await person([oncall]), await person([oncall]), await person([oncall])];
    const waiting = await file(filer, pending);
    const unacknowledged = await file(filer, approved);
    await decide(approver, unacknowledged.requestId, "APPROVE");
    const done = await file(filer, granted);
    await decide(approver, done.requestId, "APPROVE");
    await acknowledgeRequest({ actor: granted.actor, requestId: done.requestId });
    const admin = await person(["portal-admins"]);
    await setUserActive({ actor: admin.actor, input: { userId: filer.actor.userId, active: false } });
    const status = async (requestId: string) =>
      (await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).status;
    assert.equal(await status(waiting.requestId), "CANCELLED");
    assert.equal(await status(unacknowledged.requestId), "CANCELLED");
    await assert.rejects(
      acknowledgeRequest({ actor: approved.actor, requestId: unacknowledged.requestId }),
      appErrorWith("CONFLICT"),
      "nothing left to acknowledge",
    );
    assert.equal(await grantsOf(approved.actor.userId), 0);
    assert.equal(await status(done.requestId), "APPROVED", "the teammate's running grant is theirs");
    assert.equal(await db.grant.count({ where: { requestId: done.requestId, revokedAt: null } }), 1);
  });
});
