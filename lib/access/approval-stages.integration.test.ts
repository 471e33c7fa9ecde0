/**
 * Approval stages and escalation (ADR 0055) against real PostgreSQL, with a software
 * authenticator signing real WebAuthn assertions. Every rule is attacked here.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rolesForGroups, type TUserActor } from "../authz";
import { itemVerdict } from "../bundles/item-decidability";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActorWithPasskey, uniqueId } from "../testing/fixtures";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { decideRequest, startDecision } from "./decide-request";
import { listApprovalInbox } from "./eligibility";
import { getRequestDetail } from "./get-request";
import { escalateDueRequests, escalateRequest } from "./escalate-request";
import { requestAccess } from "./request-access";
import type { TDecision } from "./schemas";

after(disconnectDb);

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

type TPerson = { actor: TUserActor; authenticator: TSoftwareAuthenticator };

const withPasskey = async (groups: string[]): Promise<TPerson> => {
  const person = await createActorWithPasskey({ groups });
  person.actor.roles = [...rolesForGroups(groups), "approver"];
  return person;
};

const decide = async (person: TPerson, requestId: string, decision: TDecision, comment?: string) => {
  const options = await startDecision({ actor: person.actor, requestId, decision });
  const assertion = await person.authenticator.assert(options);
  return decideRequest({ actor: person.actor, input: { requestId, decision, comment, assertion } });
};

const auditActions = async (requestId: string) =>
  (
    await db.auditEvent.findMany({
      where: { targetType: "request", targetId: requestId },
      orderBy: { seq: "asc" },
      select: { action: true },
    })
  ).map((event) => event.action);

const inInbox = async (person: TPerson, requestId: string) =>
  (await listApprovalInbox({ actor: person.actor })).some((request) => request.id === requestId);

describe("approval stages", () => {
  const engineers = uniqueId("eng");
  const leads = uniqueId("leads");
  const security = uniqueId("sec");
  const escalation = uniqueId("esc");
  let policyId = "";
  let requester: TPerson;
  let lead: TPerson;
  let secOne: TPerson;
  let secTwo: TPerson;
  let both: TPerson;
  let escalator: TPerson;

  before(async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("db"), name: "Staged DB", environment: "production", permissions: ["write"] },
    });
    policyId = (
      await db.accessPolicy.create({
        data: {
          resourceId: resource.id,
          name: "staged",
          permissions: ["write"],
          requesterGroups: [engineers],
          approverGroups: [leads, security],
          approvalsRequired: 1,
          defaultDurationMinutes: 30,
          maxDurationMinutes: 60,
          minJustificationLength: 10,
          autoApproveGroups: [],
          autoApprovePermissions: [],
          stages: [
            { name: "Team lead", approverGroups: [leads], approvalsRequired: 1 },
            { name: "Security", approverGroups: [security], approvalsRequired: 2 },
          ],
          escalationGroups: [escalation],
          escalationAfterMinutes: 30,
        },
      })
    ).id;
    requester = await withPasskey([engineers]);
    lead = await withPasskey([leads]);
    secOne = await withPasskey([security]);
    secTwo = await withPasskey([security]);
    both = await withPasskey([leads, security]);
    escalator = await withPasskey([escalation]);
  });

  // A fresh requester each time: one person cannot hold two pending requests for one permission.
  const submit = async () => {
    requester = await withPasskey([engineers]);
    const { requestId } = await requestAccess({
      actor: requester.actor,
      input: { policyId, permissions: ["write"], durationMinutes: 30, justification: "Rotate the staged keys" },
    });
    return requestId;
  };

  it("opens stage two only when stage one is complete, and grants only after the last stage", async () => {
    const requestId = await submit();
    // Stage two's approvers can neither see it in their inbox nor decide while stage one is open.
    assert.equal(await inInbox(secOne, requestId), false);
    assert.equal(await inInbox(lead, requestId), true);
    await assert.rejects(startDecision({ actor: secOne.actor, requestId, decision: "APPROVE" }), isCode("FORBIDDEN"));

    const first = await decide(lead, requestId, "APPROVE");
    assert.equal(first.status, "PENDING");
    const row = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.equal(row.currentStage, 1);
    assert.equal(await db.grant.count({ where: { requestId } }), 0);
    assert.equal(await inInbox(secOne, requestId), true);
    assert.equal(await inInbox(lead, requestId), false);
    const detail = await getRequestDetail({ actor: requester.actor, requestId });
    assert.deepEqual(
      detail.stages.map((stage) => [stage.name, stage.state, stage.approvers]),
      [
        ["Team lead", "complete", [lead.actor.name]],
        ["Security", "open", []],
      ],
    );
    assert.ok(detail.timeline.some((entry) => entry.text === "Stage 1 of 2 (Team lead) complete"));

    assert.equal((await decide(secOne, requestId, "APPROVE")).status, "PENDING");
    const last = await decide(secTwo, requestId, "APPROVE");
    assert.equal(last.status, "APPROVED");
    assert.ok(last.grantId);
    const approvals = await db.approval.findMany({ where: { requestId }, orderBy: { createdAt: "asc" } });
    assert.deepEqual(
      approvals.map((approval) => approval.stage),
      [0, 1, 1],
    );
    const actions = await auditActions(requestId);
    assert.deepEqual(
      actions.filter((action) => action.startsWith("request.")),
      [
        "request.create",
        "request.approve",
        "request.stage_completed",
        "request.approve",
        "request.approve",
        "request.stage_completed",
        "request.approved",
      ],
    );
  });

  it("refuses a stage-one approver in stage two", async () => {
    const requestId = await submit();
    await decide(lead, requestId, "APPROVE");
    const otherLead = await withPasskey([leads]);
    await assert.rejects(
      startDecision({ actor: otherLead.actor, requestId, decision: "APPROVE" }),
      isCode("FORBIDDEN"),
    );
  });

  it("refuses one person a second stage of the same request even when in both groups", async () => {
    const requestId = await submit();
    assert.equal((await decide(both, requestId, "APPROVE")).status, "PENDING");
    await assert.rejects(decide(both, requestId, "APPROVE"), isCode("CONFLICT"));
    assert.equal(await inInbox(both, requestId), false);
    assert.equal(await db.approval.count({ where: { requestId } }), 1);
  });

  it("denies the request on a deny in stage two", async () => {
    const requestId = await submit();
    await decide(lead, requestId, "APPROVE");
    const result = await decide(secOne, requestId, "DENY", "Not during the freeze");
    assert.equal(result.status, "DENIED");
    assert.equal(await db.grant.count({ where: { requestId } }), 0);
    await assert.rejects(startDecision({ actor: secTwo.actor, requestId, decision: "APPROVE" }), isCode("CONFLICT"));
  });

  it("refuses a stage-two approver an item of a bundle decision while stage one is open", async () => {
    const requestId = await submit();
    const verdict = await itemVerdict(db, { actor: secOne.actor, requestId, now: new Date() });
    assert.equal(verdict.decidable, false);
    const leadVerdict = await itemVerdict(db, { actor: lead.actor, requestId, now: new Date() });
    assert.equal(leadVerdict.decidable, true);
  });

  it("lets the escalation group decide only after the delay, and tells it and the requester", async () => {
    const requestId = await submit();
    const row = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.ok(row.escalateAt);
    assert.equal(
      await db.outboxJob.count({ where: { name: "request.escalate", jobId: `request.escalate_${requestId}_0` } }),
      1,
    );
    // Before the delay: not in the inbox, not decidable, and the job is a no-op.
    assert.equal(await inInbox(escalator, requestId), false);
    await assert.rejects(
      startDecision({ actor: escalator.actor, requestId, decision: "APPROVE" }),
      isCode("FORBIDDEN"),
    );
    assert.equal(await escalateRequest({ requestId, now: new Date(row.escalateAt.getTime() - 1000) }), "not-yet");

    assert.equal(await escalateRequest({ requestId, now: new Date(row.escalateAt.getTime() + 1000) }), "escalated");
    // Twice is once.
    assert.equal(await escalateRequest({ requestId, now: new Date(row.escalateAt.getTime() + 2000) }), "skipped");
    assert.equal((await auditActions(requestId)).filter((action) => action === "request.escalated").length, 1);
    const notices = await db.notification.findMany({
      where: { kind: "request.escalated", link: `/requests/${requestId}` },
    });
    assert.deepEqual(
      new Set(notices.map((notice) => notice.userId)),
      new Set([escalator.actor.userId, requester.actor.userId]),
    );

    assert.equal(await inInbox(escalator, requestId), true);
    // Stage two's approvers are still not the escalation group of stage one.
    await assert.rejects(startDecision({ actor: secOne.actor, requestId, decision: "APPROVE" }), isCode("FORBIDDEN"));
    assert.equal((await decide(escalator, requestId, "APPROVE")).status, "PENDING");
    const advanced = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.equal(advanced.currentStage, 1);
    // The new stage starts un-escalated, with its own delay.
    assert.equal(advanced.escalatedAt, null);
    assert.ok(advanced.escalateAt && advanced.escalateAt > row.escalateAt);
    await assert.rejects(decide(escalator, requestId, "APPROVE"), isCode("FORBIDDEN"));
    // Once stage two escalates too, the escalator still cannot decide a second time.
    const later = new Date(advanced.escalateAt.getTime() + 1000);
    assert.equal(await escalateRequest({ requestId, now: later }), "escalated");
    await assert.rejects(decide(escalator, requestId, "APPROVE"), isCode("CONFLICT"));
  });

  it("escalates from PostgreSQL when the delayed job was lost from Redis", async () => {
    const requestId = await submit();
    // The job never reaches Redis: the outbox row is gone and nothing else remembers it.
    await db.outboxJob.deleteMany({ where: { name: "request.escalate", jobId: `request.escalate_${requestId}_0` } });
    const row = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.ok(row.escalateAt);
    await escalateDueRequests({ now: new Date(row.escalateAt.getTime() - 1000) });
    assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).escalatedAt, null);
    const { escalated } = await escalateDueRequests({ now: new Date(row.escalateAt.getTime() + 1000) });
    assert.ok(escalated >= 1);
    assert.ok((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).escalatedAt);
  });

  it("keeps an in-flight request's chain when the policy is edited", async () => {
    const requestId = await submit();
    await db.accessPolicy.update({
      where: { id: policyId },
      data: { stages: [{ name: "Only", approverGroups: [security], approvalsRequired: 1 }] },
    });
    try {
      await assert.rejects(startDecision({ actor: secOne.actor, requestId, decision: "APPROVE" }), isCode("FORBIDDEN"));
      assert.equal((await decide(lead, requestId, "APPROVE")).status, "PENDING");
    } finally {
      await db.accessPolicy.update({
        where: { id: policyId },
        data: {
          stages: [
            { name: "Team lead", approverGroups: [leads], approvalsRequired: 1 },
            { name: "Security", approverGroups: [security], approvalsRequired: 2 },
          ],
        },
      });
    }
  });
});
