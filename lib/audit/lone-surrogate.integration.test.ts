/**
 * Text from people can hold what UTF-8 cannot: a lone UTF-16 surrogate (`\uD800`). What
 * PostgreSQL stores must be exactly what was hashed, or the verifier reports a break that is
 * not one (and, stopping there, would hide real tampering after it). Driven through the
 * domain functions a person uses: a ticket (audit details) and a denial comment (the
 * event's reason).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rolesForGroups, type TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { createActorWithPasskey, uniqueId } from "../testing/fixtures";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { decideRequest, startDecision } from "../access/decide-request";
import { requestAccess } from "../access/request-access";
import { recordAuditEvent } from "./append-audit-event";
import { verifyAuditChain } from "./verify-chain";

after(disconnectDb);

type TPerson = { actor: TUserActor; authenticator: TSoftwareAuthenticator };

describe("lone UTF-16 surrogates in audited text", () => {
  const engineers = uniqueId("eng");
  const approvers = uniqueId("appr");
  let policyId = "";
  let requester: TPerson;
  let approver: TPerson;
  const startedAt = new Date(Date.now() - 1000);

  before(async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("db"), name: "Surrogate DB", environment: "production", permissions: ["read"] },
    });
    policyId = (
      await db.accessPolicy.create({
        data: {
          resourceId: resource.id,
          name: "read",
          permissions: ["read"],
          requesterGroups: [engineers],
          approverGroups: [approvers],
          approvalsRequired: 1,
          defaultDurationMinutes: 30,
          maxDurationMinutes: 60,
          minJustificationLength: 5,
        },
      })
    ).id;
    requester = await createActorWithPasskey({ groups: [engineers] });
    approver = await createActorWithPasskey({ groups: [approvers] });
    approver.actor.roles = [...rolesForGroups([approvers]), "approver"];
  });

  it("stores what it hashed: the chain verifies after a justification, a ticket and a comment with \\uD800", async () => {
    const { requestId } = await requestAccess({
      actor: requester.actor,
      input: {
        policyId,
        permissions: ["read"],
        durationMinutes: 30,
        justification: "Broken \uD800 text from a paste",
        ticket: "INC-\uD800\uDFFF\uDC00",
      },
    });
    const options = await startDecision({ actor: approver.actor, requestId, decision: "DENY" });
    const assertion = await approver.authenticator.assert(options);
    await decideRequest({
      actor: approver.actor,
      input: { requestId, decision: "DENY", comment: "No \uD800 today", assertion },
    });

    const created = await db.auditEvent.findFirstOrThrow({ where: { action: "request.create", targetId: requestId } });
    const denied = await db.auditEvent.findFirstOrThrow({
      where: { targetId: requestId, actorId: approver.actor.userId, reason: { not: null } },
    });
    // Canonical form: each lone surrogate is U+FFFD, a valid pair stays.
    assert.equal((created.details as { ticket: string }).ticket, "INC-\uD800\uDFFF\uFFFD");
    assert.equal(denied.reason, "No \uFFFD today");

    const result = await verifyAuditChain({ from: startedAt });
    assert.deepEqual(result.breaks, [], "a false break");
    assert.equal(result.ok, true);
  });

  it("stores what it hashed for events written directly: reason, details (keys too) and request metadata", async () => {
    const from = new Date(Date.now() - 1000);
    const { id } = await recordAuditEvent({
      actorType: "SYSTEM",
      action: "test.surrogate",
      outcome: "ALLOWED",
      reason: "reason \uD800 and a cut pair at the limit",
      userAgent: `${"x".repeat(499)}\uD83D\uDE00`,
      details: { "key\uDC00": ["\uD800", { nested: "nul\u0000" }] },
    });
    const row = await db.auditEvent.findUniqueOrThrow({ where: { id } });
    assert.equal(row.reason, "reason \uFFFD and a cut pair at the limit");
    assert.equal(row.userAgent, `${"x".repeat(499)}\uFFFD`, "cut to 500 inside a pair: the half left is replaced");
    assert.deepEqual(row.details, { "key\uFFFD": ["\uFFFD", { nested: "nul\uFFFD" }] });
    const result = await verifyAuditChain({ from });
    assert.deepEqual(result.breaks, []);
  });
});
