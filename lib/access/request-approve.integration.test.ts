/**
 * Requesting and deciding against real PostgreSQL, with a software authenticator signing
 * real WebAuthn assertions. Each of invariants 3 and 4 (docs/design.md) is attacked here.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rolesForGroups, type TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActorWithPasskey, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { cancelRequest } from "./cancel-request";
import { decideRequest, startDecision } from "./decide-request";
import { getRequestDetail } from "./get-request";
import { requestAccess } from "./request-access";
import type { TDecision } from "./schemas";

after(disconnectDb);

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

type TPerson = { actor: TUserActor; authenticator: TSoftwareAuthenticator };

// Approvers by policy: the role is derived from policies in the app, set directly here.
const withPasskey = async (groups: string[]): Promise<TPerson> => {
  const person = await createActorWithPasskey({ groups });
  person.actor.roles = [...rolesForGroups(groups), "approver"];
  return person;
};

/** Both steps, as the browser does them. */
const decide = async (person: TPerson, requestId: string, decision: TDecision, comment?: string) => {
  const options = await startDecision({ actor: person.actor, requestId, decision });
  const assertion = await person.authenticator.assert(options);
  return decideRequest({ actor: person.actor, input: { requestId, decision, comment, assertion } });
};

describe("requesting and approving access", () => {
  const engineers = uniqueId("eng");
  const approverGroup = uniqueId("appr");
  const autoGroup = uniqueId("oncall");
  let policyId = "";
  let singlePolicyId = "";
  let requester: TPerson;
  let approverOne: TPerson;
  let approverTwo: TPerson;
  let outsider: TPerson;
  let adminApprover: TPerson;

  const validInput = (overrides: Record<string, unknown> = {}) => ({
    policyId,
    permissions: ["write"],
    durationMinutes: 30,
    justification: "Fix the broken migration for INC-4211",
    ticket: "INC-4211",
    ...overrides,
  });
  const freshRequester = async () => withPasskey([engineers]);

  before(async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("db"), name: "Test DB", environment: "production", permissions: ["read", "write"] },
    });
    const base = {
      resourceId: resource.id,
      requesterGroups: [engineers, autoGroup],
      approverGroups: [approverGroup],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      minJustificationLength: 20,
    };
    policyId = (
      await db.accessPolicy.create({
        data: {
          ...base,
          name: "write",
          permissions: ["write"],
          approvalsRequired: 2,
          ticketRequired: true,
          ticketPattern: "^(INC|CHG)-\\d+$",
          autoApproveGroups: [],
          autoApprovePermissions: [],
        },
      })
    ).id;
    singlePolicyId = (
      await db.accessPolicy.create({
        data: {
          ...base,
          name: "read",
          permissions: ["read"],
          approvalsRequired: 1,
          minJustificationLength: 10,
          autoApproveGroups: [autoGroup],
          autoApprovePermissions: ["read"],
        },
      })
    ).id;
    requester = await freshRequester();
    approverOne = await withPasskey([approverGroup]);
    approverTwo = await withPasskey([approverGroup]);
    outsider = await withPasskey([engineers]);
    adminApprover = await withPasskey([engineers, approverGroup, "portal-admins"]);
  });

  describe("validation", () => {
    it("repeats every rule of the policy on the server and names each field, writing nothing", async () => {
      const before = await db.accessRequest.count();
      await assert.rejects(
        requestAccess({
          actor: requester.actor,
          input: validInput({
            durationMinutes: 61,
            justification: "too short",
            ticket: "JIRA-1",
            permissions: ["write", "admin"],
            startAt: "2000-01-01T00:00:00Z",
          }),
        }),
        (error: unknown) => {
          assert.ok(error instanceof AppError && error.code === "INVALID_INPUT");
          assert.deepEqual(Object.keys(error.fields).sort(), [
            "durationMinutes",
            "justification",
            "permissions",
            "startAt",
            "ticket",
          ]);
          assert.match(error.fields.durationMinutes ?? "", /At most 60 minutes/);
          return true;
        },
      );
      await assert.rejects(
        requestAccess({ actor: requester.actor, input: validInput({ ticket: undefined }) }),
        (error: unknown) => error instanceof AppError && error.fields.ticket === "A ticket reference is required.",
      );
      await assert.rejects(
        requestAccess({ actor: requester.actor, input: { ...validInput(), extra: 1 } as never }),
        isCode("INVALID_INPUT"),
      );
      assert.equal(await db.accessRequest.count(), before);
    });

    it("refuses someone outside the requester groups, the same way as an unknown policy, and audits it", async () => {
      await assert.rejects(requestAccess({ actor: approverOne.actor, input: validInput() }), isCode("FORBIDDEN"));
      await assert.rejects(
        requestAccess({ actor: approverOne.actor, input: validInput({ policyId: "no-such-policy" }) }),
        isCode("FORBIDDEN"),
      );
      assert.equal(
        await db.auditEvent.count({
          where: { action: "request.create", actorId: approverOne.actor.userId, outcome: "DENIED" },
        }),
        2,
      );
    });

    it("refuses a second pending request for the same resource and permission, pointing at the first", async () => {
      const person = await freshRequester();
      const first = await requestAccess({ actor: person.actor, input: validInput() });
      await assert.rejects(
        requestAccess({ actor: person.actor, input: validInput() }),
        (error: unknown) =>
          error instanceof AppError && error.code === "CONFLICT" && error.fields.existing === first.requestId,
      );
    });

    it("lets only one of two simultaneous identical requests through", async () => {
      const person = await freshRequester();
      const results = await Promise.allSettled([
        requestAccess({ actor: person.actor, input: validInput() }),
        requestAccess({ actor: person.actor, input: validInput() }),
      ]);
      assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
      assert.equal(await db.accessRequest.count({ where: { requesterId: person.actor.userId } }), 1);
    });
  });

  it("accepts a request when no approver has ever signed in (nobody to notify yet)", async () => {
    const lonely = uniqueId("lonely");
    const resource = await db.resource.create({
      data: { key: uniqueId("db"), name: "Lonely DB", environment: "staging", permissions: ["read"] },
    });
    const policy = await db.accessPolicy.create({
      data: {
        resourceId: resource.id,
        name: "read",
        permissions: ["read"],
        requesterGroups: [engineers],
        approverGroups: [lonely],
        defaultDurationMinutes: 10,
        maxDurationMinutes: 20,
      },
    });
    const result = await requestAccess({
      actor: requester.actor,
      input: { policyId: policy.id, permissions: ["read"], durationMinutes: 10, justification: "nobody approves here" },
    });
    assert.equal(result.status, "PENDING");
  });

  describe("auto-approval", () => {
    it("creates the grant at once for the policy's groups and permissions, still audited", async () => {
      const oncall = await withPasskey([autoGroup]);
      const result = await requestAccess({
        actor: oncall.actor,
        input: {
          policyId: singlePolicyId,
          permissions: ["read"],
          durationMinutes: 15,
          justification: "on-call check of replica lag",
        },
      });
      assert.equal(result.status, "APPROVED");
      assert.ok(result.grantId);
      const grant = await db.grant.findUniqueOrThrow({ where: { id: result.grantId } });
      assert.ok(grant.startsAt.getTime() <= Date.now() && grant.expiresAt.getTime() > Date.now());
      assert.equal(
        await db.auditEvent.count({
          where: { targetId: result.requestId, action: "request.approved", actorId: "auto-approval" },
        }),
        1,
      );
    });

    it("does not auto-approve an engineer outside the auto-approval groups", async () => {
      const person = await freshRequester();
      const result = await requestAccess({
        actor: person.actor,
        input: {
          policyId: singlePolicyId,
          permissions: ["read"],
          durationMinutes: 15,
          justification: "look at replica lag",
        },
      });
      assert.equal(result.status, "PENDING");
    });
  });

  describe("deciding", () => {
    it("approves with two distinct approvers and their passkeys, then grants exactly the request", async () => {
      const person = await freshRequester();
      const { requestId } = await requestAccess({ actor: person.actor, input: validInput() });
      const first = await decide(approverOne, requestId, "APPROVE");
      assert.deepEqual(
        { status: first.status, approvals: first.approvals, grantId: first.grantId },
        { status: "PENDING", approvals: 1, grantId: null },
      );
      const second = await decide(approverTwo, requestId, "APPROVE");
      assert.equal(second.status, "APPROVED");
      const grant = await db.grant.findUniqueOrThrow({ where: { requestId } });
      assert.equal(grant.subjectId, person.actor.userId);
      assert.deepEqual(grant.permissions, ["write"]);
      assert.equal(grant.expiresAt.getTime() - grant.startsAt.getTime(), 30 * 60_000);
      const told = await db.notification.findMany({
        where: { link: `/requests/${requestId}` },
        select: { userId: true, kind: true },
      });
      assert.ok(
        told.some((notice) => notice.userId === approverOne.actor.userId && notice.kind === "request.waiting"),
        "approvers are told",
      );
      assert.ok(
        !told.some((notice) => notice.userId === person.actor.userId && notice.kind === "request.waiting"),
        "not the requester",
      );
      assert.equal(
        told.filter((notice) => notice.userId === person.actor.userId && notice.kind === "request.approved").length,
        1,
        "the requester hears the outcome once",
      );
      const approvals = await db.approval.findMany({ where: { requestId }, include: { passkey: true } });
      assert.equal(approvals.length, 2);
      assert.ok(
        approvals.every((approval) => approval.passkey && approval.challengeId),
        "each decision stores its passkey and challenge",
      );
    });

    it("never lets requesters decide their own request, not even administrators in the approver group", async () => {
      const { requestId } = await requestAccess({ actor: adminApprover.actor, input: validInput() });
      await assert.rejects(
        startDecision({ actor: adminApprover.actor, requestId, decision: "APPROVE" }),
        isCode("FORBIDDEN"),
      );
      // Even with a challenge obtained some other way, the decision itself is refused.
      const stolenOptions = await startDecision({ actor: approverOne.actor, requestId, decision: "APPROVE" });
      const assertion = await adminApprover.authenticator.assert(stolenOptions, { ignoreAllowCredentials: true });
      await assert.rejects(
        decideRequest({ actor: adminApprover.actor, input: { requestId, decision: "APPROVE", assertion } }),
        isCode("FORBIDDEN"),
      );
      assert.equal(await db.approval.count({ where: { requestId } }), 0);
    });

    it("refuses an approver outside the policy's approver groups as if the request did not exist", async () => {
      const { requestId } = await requestAccess({ actor: (await freshRequester()).actor, input: validInput() });
      // NOT_FOUND, the answer a missing id gets: a refusal never confirms someone else's request id.
      await assert.rejects(decide(outsider, requestId, "APPROVE"), isCode("NOT_FOUND"));
      await assert.rejects(cancelRequest({ actor: outsider.actor, requestId }), isCode("NOT_FOUND"));
      await assert.rejects(getRequestDetail({ actor: outsider.actor, requestId }), isCode("NOT_FOUND"));
      assert.equal(
        await db.auditEvent.count({
          where: { action: "authz.denied", actorId: outsider.actor.userId, targetId: requestId },
        }),
        3,
        "each refusal is audited",
      );
      assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).status, "PENDING");
    });

    it("counts one approver once: N approvals come from N people", async () => {
      const { requestId } = await requestAccess({ actor: (await freshRequester()).actor, input: validInput() });
      await decide(approverOne, requestId, "APPROVE");
      await assert.rejects(decide(approverOne, requestId, "APPROVE"), isCode("CONFLICT"));
      assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).status, "PENDING");
    });

    it("refuses a replayed assertion", async () => {
      const { requestId } = await requestAccess({
        actor: (await freshRequester()).actor,
        input: validInput({ permissions: ["write"] }),
      });
      const options = await startDecision({ actor: approverOne.actor, requestId, decision: "APPROVE" });
      const assertion = await approverOne.authenticator.assert(options);
      await decideRequest({ actor: approverOne.actor, input: { requestId, decision: "APPROVE", assertion } });
      // Replayed by the second approver's session (same assertion) and by the first again.
      await assert.rejects(
        decideRequest({ actor: approverTwo.actor, input: { requestId, decision: "APPROVE", assertion } }),
        (error: unknown) => appErrorWith("FORBIDDEN")(error) && (error as AppError).fields.stepUp === "wrong_user",
      );
      // By the first approver again: refused as a second decision by the same person...
      await assert.rejects(
        decideRequest({ actor: approverOne.actor, input: { requestId, decision: "APPROVE", assertion } }),
        appErrorWith("CONFLICT", /already decided/),
      );
      assert.equal(await db.approval.count({ where: { requestId } }), 1);
      // ...and, were that approval row gone, by the spent challenge itself: an assertion counts once.
      await db.approval.deleteMany({ where: { requestId, approverId: approverOne.actor.userId } });
      await assert.rejects(
        decideRequest({ actor: approverOne.actor, input: { requestId, decision: "APPROVE", assertion } }),
        (error: unknown) => appErrorWith("FORBIDDEN")(error) && (error as AppError).fields.stepUp === "used",
      );
      assert.equal(await db.approval.count({ where: { requestId } }), 0);
    });

    it("refuses an assertion moved to another request", async () => {
      const a = await requestAccess({ actor: (await freshRequester()).actor, input: validInput() });
      const b = await requestAccess({ actor: (await freshRequester()).actor, input: validInput() });
      const options = await startDecision({ actor: approverOne.actor, requestId: a.requestId, decision: "APPROVE" });
      const assertion = await approverOne.authenticator.assert(options);
      await assert.rejects(
        decideRequest({ actor: approverOne.actor, input: { requestId: b.requestId, decision: "APPROVE", assertion } }),
        isCode("FORBIDDEN"),
      );
      assert.equal(await db.approval.count({ where: { requestId: b.requestId } }), 0);
      assert.equal(
        await db.auditEvent.count({ where: { action: "request.decide", targetId: b.requestId, outcome: "DENIED" } }),
        1,
        "the refused step-up is audited",
      );
    });

    it("refuses a deny assertion turned into an approval", async () => {
      const { requestId } = await requestAccess({ actor: (await freshRequester()).actor, input: validInput() });
      const options = await startDecision({ actor: approverOne.actor, requestId, decision: "DENY" });
      const assertion = await approverOne.authenticator.assert(options);
      await assert.rejects(
        decideRequest({ actor: approverOne.actor, input: { requestId, decision: "APPROVE", assertion } }),
        isCode("FORBIDDEN"),
      );
      assert.equal(await db.approval.count({ where: { requestId } }), 0);
    });

    it("requires a comment to deny, and a denial ends the request without a grant", async () => {
      const { requestId } = await requestAccess({ actor: (await freshRequester()).actor, input: validInput() });
      await assert.rejects(
        decide(approverOne, requestId, "DENY"),
        (error: unknown) => error instanceof AppError && error.fields.comment === "A denial needs a comment.",
      );
      const denied = await decide(approverOne, requestId, "DENY", "Use the read replica instead");
      assert.equal(denied.status, "DENIED");
      await assert.rejects(decide(approverTwo, requestId, "APPROVE"), isCode("CONFLICT"));
      assert.equal(await db.grant.count({ where: { requestId } }), 0);
    });

    it("yields exactly one outcome and at most one grant when two approvers decide at the same moment", async () => {
      for (let round = 0; round < 5; round += 1) {
        const { requestId } = await requestAccess({
          actor: (await freshRequester()).actor,
          input: {
            policyId: singlePolicyId,
            permissions: ["read"],
            durationMinutes: 10,
            justification: "simultaneous decisions",
          },
        });
        const [optionsOne, optionsTwo] = await Promise.all([
          startDecision({ actor: approverOne.actor, requestId, decision: "APPROVE" }),
          startDecision({ actor: approverTwo.actor, requestId, decision: "DENY" }),
        ]);
        const [assertionOne, assertionTwo] = await Promise.all([
          approverOne.authenticator.assert(optionsOne),
          approverTwo.authenticator.assert(optionsTwo),
        ]);
        const results = await Promise.allSettled([
          decideRequest({
            actor: approverOne.actor,
            input: { requestId, decision: "APPROVE", assertion: assertionOne },
          }),
          decideRequest({
            actor: approverTwo.actor,
            input: { requestId, decision: "DENY", comment: "not now", assertion: assertionTwo },
          }),
        ]);
        assert.equal(
          results.filter((result) => result.status === "fulfilled").length,
          1,
          `round ${round}: one decision wins`,
        );
        const loser = results.find((result) => result.status === "rejected");
        assert.ok(loser && isCode("CONFLICT")(loser.reason), `round ${round}: the other is told it is already decided`);
        const request = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
        assert.equal(await db.grant.count({ where: { requestId } }), request.status === "APPROVED" ? 1 : 0);
      }
    });

    it("refuses a decision after the decision window", async () => {
      const { requestId } = await requestAccess({ actor: (await freshRequester()).actor, input: validInput() });
      await db.accessRequest.update({ where: { id: requestId }, data: { decideBy: new Date(Date.now() - 1_000) } });
      await assert.rejects(
        startDecision({ actor: approverOne.actor, requestId, decision: "APPROVE" }),
        isCode("CONFLICT"),
      );
    });

    it("schedules the grant for a requested start in the future", async () => {
      const startAt = new Date(Date.now() + 3_600_000);
      const { requestId } = await requestAccess({
        actor: (await freshRequester()).actor,
        input: {
          policyId: singlePolicyId,
          permissions: ["read"],
          durationMinutes: 10,
          justification: "scheduled maintenance",
          startAt: startAt.toISOString(),
        },
      });
      await decide(approverOne, requestId, "APPROVE");
      const grant = await db.grant.findUniqueOrThrow({ where: { requestId } });
      assert.equal(grant.startsAt.getTime(), startAt.getTime());
    });
  });

  describe("cancelling", () => {
    it("lets only the requester cancel, and only while pending", async () => {
      const person = await freshRequester();
      const { requestId } = await requestAccess({ actor: person.actor, input: validInput() });
      await assert.rejects(cancelRequest({ actor: approverOne.actor, requestId }), isCode("FORBIDDEN"));
      await cancelRequest({ actor: person.actor, requestId });
      assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).status, "CANCELLED");
      await assert.rejects(cancelRequest({ actor: person.actor, requestId }), isCode("CONFLICT"));
      await assert.rejects(
        startDecision({ actor: approverOne.actor, requestId, decision: "APPROVE" }),
        isCode("CONFLICT"),
      );
    });
  });
});
