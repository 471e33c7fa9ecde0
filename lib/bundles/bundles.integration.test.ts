/**
 * Bundles against real PostgreSQL with a software authenticator (ADR 0054): a submission is
 * created whole or not at all, each item follows its own policy, one passkey confirmation
 * decides exactly the set it was issued for, and nobody decides what they may not.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decideRequest, startDecision } from "../access";
import { rolesForGroups, type TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { createActorWithPasskey, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { decideBundle } from "./decide-bundle";
import { getSubmission } from "./get-submission";
import { listRequestableBundles } from "./list-bundles";
import { requestBundle } from "./request-bundle";
import type { TDecisionItem } from "./schemas";
import { startBundleDecision } from "./start-bundle-decision";

after(disconnectDb);

type TPerson = { actor: TUserActor; authenticator: TSoftwareAuthenticator };

const person = async (groups: string[]): Promise<TPerson> => {
  const created = await createActorWithPasskey({ groups });
  created.actor.roles = [...rolesForGroups(groups), "approver"];
  return created;
};

/** Both steps with one confirmation, as the browser does them. */
const decideSet = async (who: TPerson, submissionId: string, items: TDecisionItem[], comment?: string) => {
  const options = await startBundleDecision({ actor: who.actor, input: { submissionId, items } });
  const assertion = await who.authenticator.assert(options);
  return decideBundle({ actor: who.actor, input: { submissionId, items, comment, assertion } });
};

const eventsAbout = async (targetIds: string[]) =>
  (
    await db.auditEvent.findMany({
      where: { targetId: { in: targetIds } },
      orderBy: { seq: "asc" },
      select: { action: true, outcome: true },
    })
  ).map((event) => `${event.action} ${event.outcome.toLowerCase()}`);

describe("bundles", () => {
  const engineers = uniqueId("eng");
  const dbApprovers = uniqueId("dba");
  const k8sApprovers = uniqueId("k8s");
  const fewEngineers = uniqueId("few");
  let bundleId = "";
  let dbKey = "";
  let k8sKey = "";
  let k8sPolicyId = "";

  const submit = (who: TPerson, overrides: Record<string, unknown> = {}) =>
    requestBundle({
      actor: who.actor,
      input: {
        bundleId,
        durationMinutes: 30,
        justification: "INC-77: orders are stuck, need db and cluster",
        ...overrides,
      },
    });
  const itemsOf = async (submissionId: string) =>
    db.accessRequest.findMany({
      where: { submissionId },
      orderBy: { id: "asc" },
      select: { id: true, status: true, policyId: true, permissions: true },
    });

  before(async () => {
    dbKey = uniqueId("db");
    k8sKey = uniqueId("k8s");
    const dbResource = await db.resource.create({
      data: { key: dbKey, name: "Orders DB", environment: "production", permissions: ["read", "write"] },
    });
    const k8sResource = await db.resource.create({
      data: { key: k8sKey, name: "Cluster", environment: "production", permissions: ["view", "exec"] },
    });
    const base = { defaultDurationMinutes: 30, minJustificationLength: 10, approvalsRequired: 1 };
    const dbPolicy = await db.accessPolicy.create({
      data: {
        ...base,
        resourceId: dbResource.id,
        name: "read",
        permissions: ["read"],
        requesterGroups: [engineers, fewEngineers],
        approverGroups: [dbApprovers],
        maxDurationMinutes: 120,
      },
    });
    const k8sPolicy = await db.accessPolicy.create({
      data: {
        ...base,
        resourceId: k8sResource.id,
        name: "view",
        permissions: ["view"],
        requesterGroups: [engineers],
        approverGroups: [k8sApprovers],
        maxDurationMinutes: 60,
      },
    });
    k8sPolicyId = k8sPolicy.id;
    bundleId = (
      await db.bundle.create({
        data: {
          name: uniqueId("Incident responder"),
          items: {
            create: [
              { position: 0, policyId: dbPolicy.id, permission: "read" },
              { position: 1, policyId: k8sPolicy.id, permission: "view" },
            ],
          },
        },
      })
    ).id;
  });

  it("creates one request per item under its own policy, linked as one submission, with exact events and one notice per approver", async () => {
    const requester = await person([engineers]);
    const both = await person([dbApprovers, k8sApprovers]);
    const result = await submit(requester);
    const requests = await itemsOf(result.submissionId);
    assert.equal(requests.length, 2);
    assert.deepEqual(requests.map((request) => request.status).sort(), ["PENDING", "PENDING"]);
    assert.ok(requests.some((request) => request.policyId === k8sPolicyId && request.permissions[0] === "view"));
    assert.deepEqual(await eventsAbout([result.submissionId, ...requests.map((request) => request.id)]), [
      "request.create allowed",
      "request.create allowed",
      "bundle.submitted allowed",
    ]);
    const notices = await db.notification.findMany({ where: { userId: both.actor.userId, kind: "request.waiting" } });
    assert.equal(notices.length, 1);
    assert.equal(notices[0]?.link, `/submissions/${result.submissionId}`);
  });

  it("refuses the whole bundle, naming the item, to a person not eligible for one of its items, and writes no request", async () => {
    const partial = await person([fewEngineers]);
    assert.deepEqual(await listRequestableBundles({ actor: partial.actor }), []);
    await assert.rejects(submit(partial), appErrorWith("FORBIDDEN", new RegExp(`${k8sKey} view`)));
    assert.equal(await db.accessRequest.count({ where: { requesterId: partial.actor.userId } }), 0);
    assert.equal(await db.bundleSubmission.count({ where: { requesterId: partial.actor.userId } }), 0);
  });

  it("is atomic: a conflict on the second item leaves no request for the first", async () => {
    const requester = await person([engineers]);
    await submit(requester);
    await assert.rejects(submit(requester), appErrorWith("CONFLICT", new RegExp(dbKey)));
    assert.equal(await db.accessRequest.count({ where: { requesterId: requester.actor.userId } }), 2);
    assert.equal(await db.bundleSubmission.count({ where: { requesterId: requester.actor.userId } }), 1);
  });

  it("checks each item's own limits and names the item whose policy refuses", async () => {
    const requester = await person([engineers]);
    await assert.rejects(
      submit(requester, { durationMinutes: 90 }),
      (error: unknown) =>
        appErrorWith("INVALID_INPUT")(error) &&
        /k8s-.* view: At most 60 minutes/.test(
          (error as { fields: Record<string, string> }).fields.durationMinutes ?? "",
        ),
    );
    assert.equal(await db.accessRequest.count({ where: { requesterId: requester.actor.userId } }), 0);
  });

  it("decides every item the approver may decide with one confirmation, with one bundle event, and the requester sees the progress", async () => {
    const requester = await person([engineers]);
    const both = await person([dbApprovers, k8sApprovers]);
    const { submissionId } = await submit(requester);
    const requests = await itemsOf(submissionId);
    const items = requests.map((request) => ({ requestId: request.id, decision: "APPROVE" as const }));
    const before = await db.webAuthnChallenge.count({ where: { userId: both.actor.userId } });
    const result = await decideSet(both, submissionId, items);
    assert.equal(await db.webAuthnChallenge.count({ where: { userId: both.actor.userId } }), before + 1);
    assert.deepEqual(
      result.decided.map((item) => item.status),
      ["APPROVED", "APPROVED"],
    );
    assert.deepEqual(result.skipped, []);
    assert.equal(await db.grant.count({ where: { requestId: { in: requests.map((request) => request.id) } } }), 2);
    const events = await eventsAbout([submissionId]);
    assert.deepEqual(events, ["bundle.submitted allowed", "bundle.decided allowed"]);
    const view = await getSubmission({ actor: requester.actor, submissionId });
    assert.deepEqual(view.progress, { total: 2, approved: 2, pending: 0, denied: 0, ended: 0 });
  });

  it("refuses a confirmation replayed for the same set, for another set, for other decisions or for a single request", async () => {
    const requester = await person([engineers]);
    const both = await person([dbApprovers, k8sApprovers]);
    const { submissionId } = await submit(requester);
    const [first, second] = await itemsOf(submissionId);
    assert.ok(first && second);
    const set = [{ requestId: first.id, decision: "APPROVE" as const }];
    const options = await startBundleDecision({ actor: both.actor, input: { submissionId, items: set } });
    const assertion = await both.authenticator.assert(options);
    const attempt = (items: TDecisionItem[], comment?: string) =>
      decideBundle({ actor: both.actor, input: { submissionId, items, assertion, comment } });
    // Another set (one more request), other decisions, then a single decision elsewhere.
    await assert.rejects(
      attempt([...set, { requestId: second.id, decision: "APPROVE" }]),
      appErrorWith("FORBIDDEN", /different item/),
    );
    await assert.rejects(
      attempt([{ requestId: first.id, decision: "DENY" }], "not this one"),
      appErrorWith("FORBIDDEN"),
    );
    await assert.rejects(attempt([{ requestId: second.id, decision: "APPROVE" }]), appErrorWith("FORBIDDEN"));
    await assert.rejects(
      decideRequest({ actor: both.actor, input: { requestId: first.id, decision: "APPROVE", assertion } }),
      appErrorWith("FORBIDDEN", /different action/),
    );
    assert.equal(await db.approval.count({ where: { requestId: { in: [first.id, second.id] } } }), 0);
    // The set it was made for, once; then never again.
    const result = await attempt(set);
    assert.deepEqual(
      result.decided.map((item) => item.requestId),
      [first.id],
    );
    await assert.rejects(attempt(set), appErrorWith("FORBIDDEN", /already used/));
    // A single decision's confirmation does not decide a set either.
    const single = await startDecision({ actor: both.actor, requestId: second.id, decision: "APPROVE" });
    await assert.rejects(
      decideBundle({
        actor: both.actor,
        input: {
          submissionId,
          items: [{ requestId: second.id, decision: "APPROVE" }],
          assertion: await both.authenticator.assert(single),
        },
      }),
      appErrorWith("FORBIDDEN", /different action/),
    );
    assert.equal(await db.approval.count({ where: { requestId: second.id } }), 0);
    const refused = await db.auditEvent.count({
      where: { action: "bundle.decided", outcome: "DENIED", targetId: submissionId },
    });
    assert.equal(refused, 5);
  });

  it("never decides an item the person may not decide: refused at the prompt with each item's reason, skipped at the decision", async () => {
    const requester = await person([engineers]);
    const dbOnly = await person([dbApprovers]);
    const { submissionId } = await submit(requester);
    const requests = await itemsOf(submissionId);
    const dbRequest = requests.find((request) => request.permissions[0] === "read");
    const k8sRequest = requests.find((request) => request.permissions[0] === "view");
    assert.ok(dbRequest && k8sRequest);
    const all = requests.map((request) => ({ requestId: request.id, decision: "APPROVE" as const }));
    await assert.rejects(
      startBundleDecision({ actor: dbOnly.actor, input: { submissionId, items: all } }),
      (error: unknown) =>
        appErrorWith("CONFLICT")(error) &&
        /not an approver/.test((error as { fields: Record<string, string> }).fields[k8sRequest.id] ?? ""),
    );
    // An approver of both is removed from the cluster's approvers between prompt and decision.
    const both = await person([dbApprovers, k8sApprovers]);
    const options = await startBundleDecision({ actor: both.actor, input: { submissionId, items: all } });
    await db.user.update({ where: { id: both.actor.userId }, data: { groups: [dbApprovers] } });
    const result = await decideBundle({
      actor: both.actor,
      input: { submissionId, items: all, assertion: await both.authenticator.assert(options) },
    });
    assert.deepEqual(
      result.decided.map((item) => item.requestId),
      [dbRequest.id],
    );
    assert.deepEqual(result.skipped, [
      { requestId: k8sRequest.id, reason: "You are not an approver of this item's policy." },
    ]);
    assert.equal(await db.approval.count({ where: { requestId: k8sRequest.id } }), 0);
    assert.deepEqual(await eventsAbout([k8sRequest.id]), ["request.create allowed", "request.decide denied"]);
    const view = await getSubmission({ actor: dbOnly.actor, submissionId });
    assert.equal(view.items.find((item) => item.requestId === k8sRequest.id)?.canDecide, false);
  });

  it("does not let the requester approve their own items, even as an approver of every policy", async () => {
    const requester = await person([engineers, dbApprovers, k8sApprovers]);
    const { submissionId } = await submit(requester);
    const items = (await itemsOf(submissionId)).map((request) => ({
      requestId: request.id,
      decision: "APPROVE" as const,
    }));
    await assert.rejects(
      startBundleDecision({ actor: requester.actor, input: { submissionId, items } }),
      appErrorWith("FORBIDDEN"),
    );
    assert.equal(
      await db.webAuthnChallenge.count({ where: { userId: requester.actor.userId, purpose: "DECIDE_SET" } }),
      0,
    );
  });

  it("hides a submission from a person who is none of its requester, approvers or security", async () => {
    const requester = await person([engineers]);
    const outsider = await person([uniqueId("nobody")]);
    const { submissionId } = await submit(requester);
    await assert.rejects(getSubmission({ actor: outsider.actor, submissionId }), appErrorWith("NOT_FOUND"));
    const items = (await itemsOf(submissionId)).map((request) => ({
      requestId: request.id,
      decision: "APPROVE" as const,
    }));
    await assert.rejects(
      startBundleDecision({ actor: outsider.actor, input: { submissionId, items } }),
      appErrorWith("NOT_FOUND"),
    );
  });

  it("is held by a Shared Signals credential change as a single request is: no bundle request, no set decision", async () => {
    const requester = await person([engineers]);
    const approver = await person([dbApprovers, k8sApprovers]);
    const { submissionId } = await submit(requester);
    const items = (await itemsOf(submissionId)).map((request) => ({
      requestId: request.id,
      decision: "APPROVE" as const,
    }));
    // The IdP reported a credential change after both signed in (ADR 0040).
    await db.user.updateMany({
      where: { id: { in: [requester.actor.userId, approver.actor.userId] } },
      data: { signInRequiredAfter: new Date(Date.now() + 1_000) },
    });
    const before = await db.accessRequest.count({ where: { requesterId: requester.actor.userId } });
    await db.accessRequest.updateMany({ where: { submissionId }, data: { status: "CANCELLED" } });
    await assert.rejects(submit(requester), appErrorWith("FORBIDDEN", /sign in again/));
    assert.equal(await db.accessRequest.count({ where: { requesterId: requester.actor.userId } }), before);
    await db.accessRequest.updateMany({ where: { submissionId }, data: { status: "PENDING" } });
    await assert.rejects(decideSet(approver, submissionId, items), appErrorWith("FORBIDDEN", /sign in again/));
    assert.deepEqual(
      (await itemsOf(submissionId)).map((request) => request.status),
      ["PENDING", "PENDING"],
      "nothing decided",
    );
  });

  it("owes a flagged usage signal's extra approval on the item of that resource, and only once", async () => {
    const requester = await person([engineers]);
    const dbResource = await db.resource.findUniqueOrThrow({ where: { key: dbKey } });
    await db.usageApprovalDemand.create({
      data: {
        userId: requester.actor.userId,
        resourceId: dbResource.id,
        signalId: uniqueId("signal"),
        reason: "rows_read 50,000 a minute, usually 40",
      },
    });
    const { submissionId } = await submit(requester);
    const requests = await db.accessRequest.findMany({
      where: { submissionId },
      select: { resourceId: true, extraApprovals: true },
    });
    assert.deepEqual(requests.map((request) => [request.resourceId === dbResource.id, request.extraApprovals]).sort(), [
      [false, 0],
      [true, 1],
    ]);
    const demand = await db.usageApprovalDemand.findFirstOrThrow({ where: { userId: requester.actor.userId } });
    assert.ok(demand.consumedAt, "the demand is taken by the bundle's item");
  });
});
