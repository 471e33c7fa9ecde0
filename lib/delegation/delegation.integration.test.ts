/**
 * Approval delegation (ADR 0056) against real PostgreSQL, with software authenticators signing
 * real WebAuthn assertions. Each rule is attacked: a delegate never decides their own request
 * or the delegator's, never acts twice in one request (as themselves and for someone, or for
 * someone who already decided), and a delegation that ended, has not started, or whose
 * delegator left the approver group passes nothing on.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decideRequest, getRequestDetail, listApprovalInbox, requestAccess, startDecision } from "../access";
import { rolesForGroups, type TUserActor } from "../authz";
import { decideBundle } from "../bundles/decide-bundle";
import { requestBundle } from "../bundles/request-bundle";
import { startBundleDecision } from "../bundles/start-bundle-decision";
import { db, disconnectDb } from "../db";
import { createActorWithPasskey, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { createDelegation, endDelegation } from "./manage-delegation";
import { listMyDelegations } from "./list-delegations";

after(disconnectDb);

type TPerson = { actor: TUserActor & { email: string | null }; authenticator: TSoftwareAuthenticator };

const person = async (groups: string[], roles: Array<"approver" | "security"> = ["approver"]): Promise<TPerson> => {
  const created = await createActorWithPasskey({ groups });
  created.actor.roles = [...rolesForGroups(groups), ...roles];
  return created;
};

const decide = async (who: TPerson, requestId: string, decision: "APPROVE" | "DENY", comment?: string) => {
  const options = await startDecision({ actor: who.actor, requestId, decision });
  const assertion = await who.authenticator.assert(options);
  return decideRequest({ actor: who.actor, input: { requestId, decision, comment, assertion } });
};

const inInbox = async (who: TPerson, requestId: string) =>
  (await listApprovalInbox({ actor: who.actor })).find((request) => request.id === requestId);

const hours = (count: number) => new Date(Date.now() + count * 3_600_000).toISOString();

const delegate = (from: TPerson, to: TPerson, options: { startsAt?: string; endsAt?: string } = {}) =>
  createDelegation({
    actor: from.actor,
    input: {
      delegateEmail: to.actor.email ?? "",
      endsAt: options.endsAt ?? hours(8),
      reason: "Out of office: conference",
      ...(options.startsAt ? { startsAt: options.startsAt } : {}),
    },
  });

describe("approval delegation", () => {
  const engineers = uniqueId("eng");
  const dbApprovers = uniqueId("dba");
  const otherApprovers = uniqueId("oth");
  const leads = uniqueId("leads");
  const security = uniqueId("sec");
  let policyId = "";
  let stagedPolicyId = "";
  let bundleId = "";

  before(async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("db"), name: "Orders DB", environment: "production", permissions: ["read", "write"] },
    });
    const base = {
      resourceId: resource.id,
      requesterGroups: [engineers, dbApprovers, otherApprovers],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      minJustificationLength: 10,
      autoApproveGroups: [],
      autoApprovePermissions: [],
    };
    policyId = (
      await db.accessPolicy.create({
        data: { ...base, name: "read", permissions: ["read"], approverGroups: [dbApprovers], approvalsRequired: 1 },
      })
    ).id;
    stagedPolicyId = (
      await db.accessPolicy.create({
        data: {
          ...base,
          name: "write",
          permissions: ["write"],
          approverGroups: [leads, security],
          approvalsRequired: 1,
          stages: [
            { name: "Team lead", approverGroups: [leads], approvalsRequired: 1 },
            { name: "Security", approverGroups: [security], approvalsRequired: 1 },
          ],
        },
      })
    ).id;
    // The delegates approve another resource: that is what makes them eligible approvers.
    const other = await db.resource.create({
      data: { key: uniqueId("other"), name: "Other", environment: "staging", permissions: ["read"] },
    });
    await db.accessPolicy.create({
      data: {
        ...base,
        resourceId: other.id,
        name: "other",
        permissions: ["read"],
        approverGroups: [otherApprovers],
        approvalsRequired: 1,
      },
    });
    bundleId = (
      await db.bundle.create({
        data: { name: uniqueId("Orders"), items: { create: [{ position: 0, policyId, permission: "read" }] } },
      })
    ).id;
  });

  const submit = async (who?: TPerson, policy = policyId, permission = "read") => {
    const requester = who ?? (await person([engineers], []));
    const { requestId } = await requestAccess({
      actor: requester.actor,
      input: {
        policyId: policy,
        permissions: [permission],
        durationMinutes: 30,
        justification: "Look at stuck orders",
      },
    });
    return { requestId, requester };
  };

  it("lets the delegate decide as the delegator, records both, and tells them", async () => {
    const approver = await person([dbApprovers]);
    const cover = await person([otherApprovers]);
    const { delegationId } = await delegate(approver, cover);
    const notice = await db.notification.findFirst({
      where: { userId: cover.actor.userId, kind: "delegation.received" },
    });
    assert.ok(notice, "the delegate is told");

    const { requestId } = await submit();
    // New requests reach the delegate as they reach the delegator.
    assert.equal(
      await db.notification.count({
        where: { userId: cover.actor.userId, kind: "request.waiting", link: `/requests/${requestId}` },
      }),
      1,
    );
    const item = await inInbox(cover, requestId);
    assert.equal(item?.decidingFor, approver.actor.name);
    const detail = await getRequestDetail({ actor: cover.actor, requestId });
    assert.equal(detail.viewer.canDecide, true);
    assert.equal(detail.viewer.decidingFor, approver.actor.name);
    assert.deepEqual(
      detail.delegations.map((entry) => [entry.delegator, entry.delegate]),
      [[approver.actor.name, cover.actor.name]],
    );

    const result = await decide(cover, requestId, "APPROVE");
    assert.equal(result.status, "APPROVED");
    const approval = await db.approval.findFirstOrThrow({ where: { requestId } });
    assert.equal(approval.approverId, cover.actor.userId);
    assert.equal(approval.onBehalfOfId, approver.actor.userId);
    assert.equal(approval.delegationId, delegationId);
    const event = await db.auditEvent.findFirstOrThrow({ where: { targetId: requestId, action: "request.approve" } });
    assert.equal(event.actorId, cover.actor.userId);
    assert.deepEqual(
      [
        (event.details as Record<string, unknown>).onBehalfOfId,
        (event.details as Record<string, unknown>).delegationId,
      ],
      [approver.actor.userId, delegationId],
    );
    const timeline = (await getRequestDetail({ actor: approver.actor, requestId })).timeline;
    assert.ok(
      timeline.some((entry) =>
        entry.text.startsWith(`Approved by ${cover.actor.name} for ${approver.actor.name} (delegated)`),
      ),
    );
    assert.equal((await listMyDelegations({ actor: approver.actor })).given[0]?.decisions, 1);
    const created = await db.auditEvent.findFirstOrThrow({
      where: { targetId: delegationId, action: "delegation.create" },
    });
    assert.equal(created.actorId, approver.actor.userId);
  });

  it("counts a delegate's decision as the delegator's: the delegator cannot decide again", async () => {
    const approver = await person([dbApprovers]);
    const cover = await person([otherApprovers]);
    await delegate(approver, cover);
    const twoApprovals = await db.accessPolicy.create({
      data: {
        resourceId: (await db.accessPolicy.findUniqueOrThrow({ where: { id: policyId } })).resourceId,
        name: "quorum",
        permissions: ["write"],
        requesterGroups: [engineers],
        approverGroups: [dbApprovers],
        approvalsRequired: 2,
        defaultDurationMinutes: 30,
        maxDurationMinutes: 60,
        minJustificationLength: 10,
        autoApproveGroups: [],
        autoApprovePermissions: [],
      },
    });
    const { requestId } = await submit(undefined, twoApprovals.id, "write");
    assert.equal((await decide(cover, requestId, "APPROVE")).status, "PENDING");
    await assert.rejects(
      startDecision({ actor: approver.actor, requestId, decision: "APPROVE" }),
      appErrorWith("CONFLICT", /delegate has already decided/),
    );
    assert.equal(await inInbox(approver, requestId), undefined);
    // A second delegate of the same person (a later window) would not count twice either.
    assert.equal(await db.approval.count({ where: { requestId } }), 1);
  });

  it("refuses the delegate a request the delegator already decided", async () => {
    const approver = await person([dbApprovers]);
    const cover = await person([otherApprovers]);
    await delegate(approver, cover);
    const quorum = await db.accessPolicy.findFirstOrThrow({
      where: { name: "quorum", approverGroups: { has: dbApprovers } },
    });
    const { requestId } = await submit(undefined, quorum.id, "write");
    assert.equal((await decide(approver, requestId, "APPROVE")).status, "PENDING");
    assert.equal(await inInbox(cover, requestId), undefined);
    await assert.rejects(
      startDecision({ actor: cover.actor, requestId, decision: "APPROVE" }),
      appErrorWith("CONFLICT", /person you decide for has already decided/),
    );
  });

  it("never lets a delegate decide their own request, or the delegator's", async () => {
    const approver = await person([dbApprovers]);
    const cover = await person([otherApprovers]);
    await delegate(approver, cover);
    // The delegate's own request: their delegation does not make them its approver.
    const own = await submit(cover);
    await assert.rejects(
      startDecision({ actor: cover.actor, requestId: own.requestId, decision: "APPROVE" }),
      appErrorWith("FORBIDDEN"),
    );
    // The delegator's own request: a delegation carries no more than its delegator holds. The
    // delegate may read it (its approver groups are the delegator's), never decide it.
    const theirs = await submit(approver);
    await assert.rejects(
      startDecision({ actor: cover.actor, requestId: theirs.requestId, decision: "APPROVE" }),
      appErrorWith("FORBIDDEN"),
    );
    assert.equal(await inInbox(cover, theirs.requestId), undefined);
    assert.equal(await inInbox(cover, own.requestId), undefined);
  });

  it("never lets one person act twice in one request, as themselves and as a delegate", async () => {
    const approver = await person([dbApprovers]);
    const alsoApprover = await person([dbApprovers]);
    await delegate(approver, alsoApprover);
    const quorum = await db.accessPolicy.findFirstOrThrow({
      where: { name: "quorum", approverGroups: { has: dbApprovers } },
    });
    const { requestId } = await submit(undefined, quorum.id, "write");
    // Their own authority comes first; the second attempt is refused, not taken as the delegator's.
    assert.equal((await decide(alsoApprover, requestId, "APPROVE")).status, "PENDING");
    await assert.rejects(decide(alsoApprover, requestId, "APPROVE"), appErrorWith("CONFLICT", /already decided/));
    const approval = await db.approval.findFirstOrThrow({ where: { requestId } });
    assert.equal(approval.onBehalfOfId, null);
  });

  it("carries the delegator's stage: a delegate's stage-one decision bars the delegator from stage two", async () => {
    const both = await person([leads, security]);
    const cover = await person([otherApprovers]);
    await delegate(both, cover);
    const { requestId } = await submit(undefined, stagedPolicyId, "write");
    assert.equal((await decide(cover, requestId, "APPROVE")).status, "PENDING");
    assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).currentStage, 1);
    await assert.rejects(
      startDecision({ actor: both.actor, requestId, decision: "APPROVE" }),
      appErrorWith("CONFLICT", /delegate has already decided/),
    );
    // Nor may the delegate decide stage two for the same person.
    await assert.rejects(
      startDecision({ actor: cover.actor, requestId, decision: "APPROVE" }),
      appErrorWith("CONFLICT"),
    );
  });

  it("passes nothing on once ended, before it starts, or when the delegator left the approver group", async () => {
    const approver = await person([dbApprovers]);
    const cover = await person([otherApprovers]);
    const { requestId } = await submit();

    const later = await delegate(approver, cover, { startsAt: hours(2), endsAt: hours(4) });
    assert.equal(await inInbox(cover, requestId), undefined, "scheduled, not running");
    await assert.rejects(
      startDecision({ actor: cover.actor, requestId, decision: "APPROVE" }),
      appErrorWith("NOT_FOUND"),
    );
    await endDelegation({ actor: approver.actor, input: { delegationId: later.delegationId } });

    const now = await delegate(approver, cover);
    const options = await startDecision({ actor: cover.actor, requestId, decision: "APPROVE" });
    await endDelegation({ actor: approver.actor, input: { delegationId: now.delegationId } });
    // The challenge was issued while it ran; the decision comes after the end and is refused.
    const assertion = await cover.authenticator.assert(options);
    await assert.rejects(
      decideRequest({ actor: cover.actor, input: { requestId, decision: "APPROVE", assertion } }),
      appErrorWith("NOT_FOUND"),
    );
    assert.equal(await db.approval.count({ where: { requestId } }), 0);

    await delegate(approver, cover);
    assert.ok(await inInbox(cover, requestId));
    await db.user.update({ where: { id: approver.actor.userId }, data: { groups: [engineers] } });
    assert.equal(await inInbox(cover, requestId), undefined, "the delegator left the approver group");
    await assert.rejects(
      startDecision({ actor: cover.actor, requestId, decision: "APPROVE" }),
      appErrorWith("NOT_FOUND"),
    );
  });

  it("decides bundle items as the delegator with one confirmation", async () => {
    const approver = await person([dbApprovers]);
    const cover = await person([otherApprovers]);
    await delegate(approver, cover);
    const requester = await person([engineers], []);
    const { submissionId } = await requestBundle({
      actor: requester.actor,
      input: { bundleId, durationMinutes: 30, justification: "Orders are stuck again" },
    });
    const [item] = await db.accessRequest.findMany({ where: { submissionId }, select: { id: true } });
    assert.ok(item);
    const items = [{ requestId: item.id, decision: "APPROVE" as const }];
    const options = await startBundleDecision({ actor: cover.actor, input: { submissionId, items } });
    const assertion = await cover.authenticator.assert(options);
    const result = await decideBundle({ actor: cover.actor, input: { submissionId, items, assertion } });
    assert.equal(result.decided.length, 1);
    const approval = await db.approval.findFirstOrThrow({ where: { requestId: item.id } });
    assert.equal(approval.onBehalfOfId, approver.actor.userId);
  });

  it("validates delegations: an approver, not oneself, a bounded window, no overlap", async () => {
    const approver = await person([dbApprovers]);
    const cover = await person([otherApprovers]);
    const engineer = await person([engineers], []);
    const attempt = (
      input: Partial<{ delegateEmail: string; startsAt: string; endsAt: string; reason: string }>,
      actor = approver.actor,
    ) =>
      createDelegation({
        actor,
        input: { delegateEmail: cover.actor.email ?? "", endsAt: hours(8), reason: "Out of office", ...input },
      });
    await assert.rejects(attempt({}, engineer.actor), appErrorWith("FORBIDDEN"));
    await assert.rejects(
      attempt({ delegateEmail: approver.actor.email ?? "" }),
      appErrorWith("INVALID_INPUT", /yourself/),
    );
    await assert.rejects(
      attempt({ delegateEmail: engineer.actor.email ?? "" }),
      appErrorWith("INVALID_INPUT", /not an approver/),
    );
    await assert.rejects(
      attempt({ delegateEmail: "nobody@example.com" }),
      appErrorWith("INVALID_INPUT", /Nobody active/),
    );
    await assert.rejects(attempt({ endsAt: hours(-1) }), appErrorWith("INVALID_INPUT", /after the start/));
    await assert.rejects(attempt({ startsAt: hours(-2) }), appErrorWith("INVALID_INPUT", /past/));
    await assert.rejects(attempt({ endsAt: hours(31 * 24) }), appErrorWith("INVALID_INPUT", /at most 30 days/));
    await assert.rejects(attempt({ reason: "  " }), appErrorWith("INVALID_INPUT"));
    await assert.rejects(attempt({ endsAt: "tomorrow" }), appErrorWith("INVALID_INPUT"));
    await db.user.update({ where: { id: cover.actor.userId }, data: { deactivatedAt: new Date() } });
    await assert.rejects(attempt({}), appErrorWith("INVALID_INPUT", /Nobody active/));
    await db.user.update({ where: { id: cover.actor.userId }, data: { deactivatedAt: null } });

    await attempt({});
    await assert.rejects(
      attempt({ startsAt: hours(4), endsAt: hours(12) }),
      appErrorWith("CONFLICT", /already have a delegation/),
    );
    assert.equal(await db.approvalDelegation.count({ where: { delegatorId: approver.actor.userId } }), 1);
    // Nothing of a refused attempt was written.
    assert.equal(
      await db.auditEvent.count({ where: { actorId: approver.actor.userId, action: "delegation.create" } }),
      1,
    );
  });

  it("lets only the delegator, security or an administrator end a delegation", async () => {
    const approver = await person([dbApprovers]);
    const cover = await person([otherApprovers]);
    const stranger = await person([otherApprovers]);
    const reviewer = await person([], ["security"]);
    const { delegationId } = await delegate(approver, cover);
    await assert.rejects(endDelegation({ actor: stranger.actor, input: { delegationId } }), appErrorWith("NOT_FOUND"));
    await assert.rejects(endDelegation({ actor: cover.actor, input: { delegationId } }), appErrorWith("FORBIDDEN"));
    await endDelegation({ actor: reviewer.actor, input: { delegationId } });
    await assert.rejects(endDelegation({ actor: approver.actor, input: { delegationId } }), appErrorWith("CONFLICT"));
    const row = await db.approvalDelegation.findUniqueOrThrow({ where: { id: delegationId } });
    assert.equal(row.endedById, reviewer.actor.userId);
    assert.deepEqual(
      (
        await db.notification.findMany({
          where: {
            kind: "delegation.ended",
            link: "/delegations",
            userId: { in: [approver.actor.userId, cover.actor.userId] },
          },
        })
      ).length,
      2,
    );
  });
});
