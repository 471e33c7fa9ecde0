/**
 * Audit coverage: every action the security review relies on leaves exactly the audit
 * events it should, once each: sign-in (and its failures), authorization denial, request,
 * decision, grant start, end, extension and revocation, passkey changes, resource and policy
 * changes. Each step reads the events written since the step began, in order, so a missing
 * event, a second copy or an unexpected extra fails here.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  activateGrant,
  decideRequest,
  expireGrant,
  requestAccess,
  requestExtension,
  revokeGrant,
  startDecision,
} from "../access";
import { countFailedSignIn, flushFailedSignIns } from "../auth/count-failed-sign-in";
import { signInUser } from "../auth/sign-in";
import { revokeSession } from "../auth/session";
import { rolesForGroups, type TUserActor } from "../authz";
import { assertCan } from "../authz/enforce";
import { createPolicy, createResource, deletePolicy, updatePolicy, updateResource, archiveResource } from "../catalog";
import { getConfig } from "../config";
import { db, disconnectDb } from "../db";
import { createActor, createActorWithPasskey, TEST_ISSUER, uniqueId } from "../testing/fixtures";
import { createSoftwareAuthenticator, type TSoftwareAuthenticator } from "../testing/software-authenticator";
import { finishPasskeyRegistration, removePasskey, startPasskeyRegistration } from "../webauthn";

after(disconnectDb);

/** The events written while `step` runs, oldest first, as "action outcome target". */
// `about`: only the events about that target. Lifecycle jobs run in batches (lib/access/lifecycle.ts)
// and also start or end other grants that are due, each with its own event.
const eventsOf = async (
  step: () => Promise<unknown>,
  options: { settle?: boolean; about?: string } = {},
): Promise<string[]> => {
  const head = await db.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true } });
  if (options.settle) await step().catch(() => undefined);
  else await step();
  const rows = await db.auditEvent.findMany({
    where: { seq: { gt: head?.seq ?? 0n }, ...(options.about ? { targetId: options.about } : {}) },
    orderBy: { seq: "asc" },
    select: { action: true, outcome: true, targetType: true },
  });
  return rows.map((row) => `${row.action} ${row.outcome.toLowerCase()}${row.targetType ? ` ${row.targetType}` : ""}`);
};

type TPerson = { actor: TUserActor; authenticator: TSoftwareAuthenticator };

// Approvers by policy: the role is derived from policies in the app, set directly here.
const withPasskey = async (groups: string[]): Promise<TPerson> => {
  const person = await createActorWithPasskey({ groups });
  person.actor.roles = [...rolesForGroups(groups), "approver"];
  return person;
};

const decide = async (person: TPerson, requestId: string, decision: "APPROVE" | "DENY", comment?: string) => {
  const assertion = await person.authenticator.assert(
    await startDecision({ actor: person.actor, requestId, decision }),
  );
  return decideRequest({ actor: person.actor, input: { requestId, decision, comment, assertion } });
};

describe("audit coverage: one event per action", () => {
  const engineers = uniqueId("eng");
  const approvers = uniqueId("appr");
  let policyId = "";
  let requester: TPerson;
  let approver: TPerson;

  before(async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("db"), name: "Coverage DB", environment: "production", permissions: ["read"] },
    });
    policyId = (
      await db.accessPolicy.create({
        data: {
          resourceId: resource.id,
          name: "read",
          permissions: ["read"],
          requesterGroups: [engineers],
          approverGroups: [approvers],
          defaultDurationMinutes: 30,
          maxDurationMinutes: 120,
          minJustificationLength: 5,
        },
      })
    ).id;
    requester = await withPasskey([engineers]);
    approver = await withPasskey([approvers]);
  });

  it("sign-in: success, refusal of a deactivated user, failure before identification, sign-out", async () => {
    const subject = uniqueId("sub");
    const identity = { subject, email: `${subject}@example.com`, name: "Coverage", groups: ["engineers"] };
    let sessionId = "";
    assert.deepEqual(
      await eventsOf(async () => ({ sessionId } = await signInUser({ issuer: TEST_ISSUER, identity }))),
      ["auth.sign_in allowed session"],
    );
    assert.deepEqual(await eventsOf(() => revokeSession({ sessionId, reason: "sign_out" })), [
      "auth.sign_out allowed session",
    ]);
    await db.user.update({
      where: { issuer_subject: { issuer: TEST_ISSUER, subject } },
      data: { deactivatedAt: new Date() },
    });
    assert.deepEqual(await eventsOf(() => signInUser({ issuer: TEST_ISSUER, identity }), { settle: true }), [
      "auth.sign_in denied user",
    ]);
    // Before anyone is identified: counted, one aggregate per window (ADR 0024).
    assert.deepEqual(
      await eventsOf(async () => {
        countFailedSignIn({ code: "OAUTH_CALLBACK_ERROR", message: "state mismatch" });
        countFailedSignIn({ code: "OAUTH_CALLBACK_ERROR", message: "state mismatch" });
        await flushFailedSignIns();
      }),
      ["auth.sign_in.aggregate error"],
    );
  });

  it("authorization denial", async () => {
    assert.deepEqual(await eventsOf(() => assertCan(requester.actor, "users.read"), { settle: true }), [
      "authz.denied denied",
    ]);
  });

  it("request, decision, grant start, extension, revocation", async () => {
    let requestId = "";
    const requestEvents = await eventsOf(
      async () =>
        ({ requestId } = await requestAccess({
          actor: requester.actor,
          input: { policyId, permissions: ["read"], durationMinutes: 30, justification: "coverage check" },
        })),
    );
    assert.deepEqual(requestEvents, ["request.create allowed request"]);

    let grantId: string | null = null;
    const decisionEvents = await eventsOf(async () => ({ grantId } = await decide(approver, requestId, "APPROVE")));
    assert.deepEqual(decisionEvents, [
      "webauthn.step_up allowed request",
      "request.approve allowed request",
      "request.approved allowed request",
      "grant.create allowed grant",
    ]);
    assert.ok(grantId);
    const id: string = grantId;

    assert.deepEqual(await eventsOf(() => activateGrant({ grantId: id }), { about: id }), [
      "grant.activated allowed grant",
    ]);
    assert.deepEqual(
      await eventsOf(() => activateGrant({ grantId: id }), { about: id }),
      [],
      "a repeated start job writes nothing",
    );

    let extensionId = "";
    const extensionRequest = await eventsOf(
      async () =>
        ({ requestId: extensionId } = await requestExtension({
          actor: requester.actor,
          input: { grantId: id, minutes: 15, justification: "need a bit more" },
        })),
    );
    assert.deepEqual(extensionRequest, ["grant.extension_request allowed request"]);
    const extension = await eventsOf(() => decide(approver, extensionId, "APPROVE"));
    assert.deepEqual(extension, [
      "webauthn.step_up allowed request",
      "request.approve allowed request",
      "request.approved allowed request",
      "grant.extended allowed grant",
    ]);

    assert.deepEqual(
      await eventsOf(() => revokeGrant({ actor: requester.actor, input: { grantId: id, reason: "done" } })),
      ["grant.revoke allowed grant"],
    );
    assert.deepEqual(
      await eventsOf(() => expireGrant({ grantId: id, now: new Date(Date.now() + 86_400_000) }), { about: id }),
      [],
      "a revoked grant does not also expire",
    );
  });

  it("denial decision and grant end", async () => {
    const denied = await requestAccess({
      actor: requester.actor,
      input: { policyId, permissions: ["read"], durationMinutes: 30, justification: "to be denied" },
    });
    assert.deepEqual(await eventsOf(() => decide(approver, denied.requestId, "DENY", "not now")), [
      "webauthn.step_up allowed request",
      "request.deny allowed request",
    ]);

    const again = await requestAccess({
      actor: requester.actor,
      input: { policyId, permissions: ["read"], durationMinutes: 30, justification: "short one" },
    });
    const { grantId } = await decide(approver, again.requestId, "APPROVE");
    assert.ok(grantId);
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId } });
    const end = new Date(grant.expiresAt.getTime() + 1);
    assert.deepEqual(await eventsOf(() => expireGrant({ grantId, now: end }), { about: grantId }), [
      "grant.expired allowed grant",
    ]);
    assert.deepEqual(
      await eventsOf(() => expireGrant({ grantId, now: end }), { about: grantId }),
      [],
      "a repeated end job writes nothing",
    );
  });

  it("passkey changes", async () => {
    const actor = await createActor();
    const { origin, rpId } = getConfig().webauthn;
    // One authenticator per passkey: an authenticator refuses a second credential for one account.
    const register = async () =>
      finishPasskeyRegistration({
        actor,
        name: "laptop",
        response: await createSoftwareAuthenticator({ origin, rpId }).register(
          await startPasskeyRegistration({ actor }),
        ),
      });
    assert.deepEqual(await eventsOf(register), ["passkey.register allowed passkey"]);
    // The person's only passkey, removed within minutes of signing in: no step-up needed (ADR 0033).
    const passkey = await db.passkey.findFirstOrThrow({ where: { userId: actor.userId } });
    assert.deepEqual(await eventsOf(() => removePasskey({ actor, passkeyId: passkey.id })), [
      "passkey.remove allowed passkey",
    ]);
  });

  it("resource and policy changes", async () => {
    const admin = await createActor({ groups: ["portal-admins"] });
    const key = uniqueId("cov");
    const resource = { key, name: "Coverage", description: "", environment: "staging", permissions: ["read", "write"] };
    assert.deepEqual(await eventsOf(() => createResource({ actor: admin, input: resource })), [
      "resource.create allowed resource",
    ]);
    const { key: _key, ...fields } = resource;
    assert.deepEqual(
      await eventsOf(() => updateResource({ actor: admin, key, input: { ...fields, name: "Coverage 2" } })),
      ["resource.update allowed resource"],
    );
    const policy = {
      name: "read",
      permissions: ["read"],
      requesterGroups: ["engineers"],
      approverGroups: ["db-approvers"],
      approvalsRequired: 1,
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
    };
    let policyId = "";
    assert.deepEqual(
      await eventsOf(
        async () => ({ id: policyId } = await createPolicy({ actor: admin, resourceKey: key, input: policy })),
      ),
      ["policy.create allowed policy"],
    );
    assert.deepEqual(
      await eventsOf(() => updatePolicy({ actor: admin, policyId, input: { ...policy, maxDurationMinutes: 90 } })),
      ["policy.update allowed policy"],
    );
    assert.deepEqual(await eventsOf(() => deletePolicy({ actor: admin, policyId })), ["policy.delete allowed policy"]);
    assert.deepEqual(await eventsOf(() => archiveResource({ actor: admin, key })), [
      "resource.archive allowed resource",
    ]);
  });
});
