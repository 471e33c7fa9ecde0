import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getConfig } from "../config";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, uniqueId } from "../testing/fixtures";
import { createSoftwareAuthenticator } from "../testing/software-authenticator";
import { finishPasskeyRegistration, startPasskeyRegistration } from "../webauthn";
import { decideRequest, startDecision } from "./decide-request";
import { requestExtension } from "./extend-grant";
import { expireGrant } from "./lifecycle";
import { requestAccess } from "./request-access";

after(disconnectDb);
const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

describe("extending a grant", () => {
  const engineers = uniqueId("eng");
  const approvers = uniqueId("appr");
  const oncall = uniqueId("oncall");
  let policyId = "";
  let approver: Awaited<ReturnType<typeof createActor>>;
  let authenticator: ReturnType<typeof createSoftwareAuthenticator>;

  const approve = async (requestId: string) => {
    const options = await startDecision({ actor: approver, requestId, decision: "APPROVE" });
    return decideRequest({
      actor: approver,
      input: { requestId, decision: "APPROVE", assertion: await authenticator.assert(options) },
    });
  };
  /** A live 30-minute grant under a policy whose maximum is 60 minutes. */
  const liveGrant = async (groups = [engineers]) => {
    const subject = await createActor({ groups });
    const { requestId } = await requestAccess({
      actor: subject,
      input: { policyId, permissions: ["read"], durationMinutes: 30, justification: "investigate the incident" },
    });
    const request = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
    if (request.status === "PENDING") await approve(requestId);
    return { subject, grant: await db.grant.findUniqueOrThrow({ where: { requestId } }) };
  };

  before(async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("db"), name: "Extend DB", environment: "production", permissions: ["read"] },
    });
    policyId = (
      await db.accessPolicy.create({
        data: {
          resourceId: resource.id,
          name: "read",
          permissions: ["read"],
          requesterGroups: [engineers, oncall],
          approverGroups: [approvers],
          defaultDurationMinutes: 30,
          maxDurationMinutes: 60,
          minJustificationLength: 10,
          autoApproveGroups: [oncall],
          autoApprovePermissions: ["read"],
        },
      })
    ).id;
    approver = await createActor({ groups: [approvers] });
    approver.roles.push("approver");
    const { origin, rpId } = getConfig().webauthn;
    authenticator = createSoftwareAuthenticator({ origin, rpId });
    await finishPasskeyRegistration({
      actor: approver,
      name: "key",
      response: await authenticator.register(await startPasskeyRegistration({ actor: approver })),
    });
  });

  it("moves the expiry after a passkey-confirmed approval, and the old expiry job does nothing", async () => {
    const { subject, grant } = await liveGrant();
    const { requestId, status } = await requestExtension({
      actor: subject,
      input: { grantId: grant.id, minutes: 20, justification: "the migration is slower than planned" },
    });
    assert.equal(status, "PENDING");
    assert.equal(
      (await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).expiresAt.getTime(),
      grant.expiresAt.getTime(),
      "nothing moves before approval",
    );
    const decided = await approve(requestId);
    assert.equal(decided.status, "APPROVED");
    const extended = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    assert.equal(extended.expiresAt.getTime(), grant.expiresAt.getTime() + 20 * 60_000);
    assert.equal(await db.grant.count({ where: { subjectId: subject.userId } }), 1, "no second grant");
    assert.equal(
      await expireGrant({ grantId: grant.id, now: new Date(grant.expiresAt.getTime() + 1) }),
      "not-yet",
      "the old expiry job is a no-op",
    );
    assert.equal(await db.grantLifecycleEvent.count({ where: { grantId: grant.id, kind: "EXTENDED" } }), 1);
    assert.equal(await db.auditEvent.count({ where: { targetId: grant.id, action: "grant.extended" } }), 1);
    const jobs = await db.outboxJob.findMany({
      where: { payload: { path: ["grantId"], equals: grant.id }, name: "grant.expire" },
    });
    assert.ok(
      jobs.some((job) => job.runAt?.getTime() === extended.expiresAt.getTime()),
      "a new expiry job at the new end",
    );
  });

  it("never goes beyond the policy's maximum total duration", async () => {
    const { subject, grant } = await liveGrant();
    await assert.rejects(
      requestExtension({
        actor: subject,
        input: { grantId: grant.id, minutes: 35, justification: "need a lot more time" },
      }),
      (error: unknown) =>
        error instanceof AppError && error.fields.minutes === "At most 30 more minutes under this policy.",
    );
    const { requestId } = await requestExtension({
      actor: subject,
      input: { grantId: grant.id, minutes: 30, justification: "need exactly the rest" },
    });
    await approve(requestId);
    await assert.rejects(
      requestExtension({
        actor: subject,
        input: { grantId: grant.id, minutes: 5, justification: "and a bit more still" },
      }),
      (error: unknown) =>
        error instanceof AppError && /already at the policy's maximum of 60 minutes/.test(error.fields.minutes ?? ""),
    );
  });

  it("is only for the grant's own subject, and one waiting extension at a time", async () => {
    const { subject, grant } = await liveGrant();
    const stranger = await createActor({ groups: [engineers] });
    await assert.rejects(
      requestExtension({
        actor: stranger,
        input: { grantId: grant.id, minutes: 10, justification: "let me extend yours" },
      }),
      isCode("NOT_FOUND"),
    );
    const first = await requestExtension({
      actor: subject,
      input: { grantId: grant.id, minutes: 10, justification: "ten more minutes please" },
    });
    await assert.rejects(
      requestExtension({
        actor: subject,
        input: { grantId: grant.id, minutes: 10, justification: "ten more minutes again" },
      }),
      (error: unknown) =>
        error instanceof AppError && error.code === "CONFLICT" && error.fields.existing === first.requestId,
    );
  });

  it("applies the policy's auto-approval rule to extensions too", async () => {
    const { subject, grant } = await liveGrant([oncall]);
    const { status } = await requestExtension({
      actor: subject,
      input: { grantId: grant.id, minutes: 15, justification: "still on the incident" },
    });
    assert.equal(status, "APPROVED");
    assert.equal(
      (await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).expiresAt.getTime(),
      grant.expiresAt.getTime() + 15 * 60_000,
    );
  });
});
