import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { TUserActor } from "../authz";
import { getConfig } from "../config";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, uniqueId } from "../testing/fixtures";
import {
  createSoftwareAuthenticator,
  type TAuthenticatorOverrides,
  type TSoftwareAuthenticator,
} from "../testing/software-authenticator";
import {
  admitStepUp,
  finishPasskeyRegistration,
  getReauthRequirement,
  listPasskeys,
  removePasskey,
  startAddPasskey,
  startPasskeyRegistration,
  startStepUp,
  type TStepUpPurpose,
  verifyStepUp,
} from "./index";

after(disconnectDb);

const { origin, rpId } = getConfig().webauthn;

const refusedWith =
  (code: AppError["code"], fields: Record<string, string> = {}) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const [key, value] of Object.entries(fields))
      assert.equal(error.fields[key], value, `fields.${key} (${error.message})`);
    return true;
  };

const ageSession = (actor: TUserActor, minutes = 20) =>
  db.session.update({ where: { id: actor.sessionId }, data: { createdAt: new Date(Date.now() - minutes * 60_000) } });

/** A person with a fresh session and one passkey on their own software authenticator. */
const personWithPasskey = async () => {
  const actor = await createActor();
  const authenticator = createSoftwareAuthenticator({ origin, rpId });
  const passkey = await finishPasskeyRegistration({
    actor,
    name: "Laptop",
    response: authenticator.register(await startPasskeyRegistration({ actor })),
  });
  return { actor, authenticator, passkey };
};

type TStepUpTarget = { purpose: TStepUpPurpose; targetType: string; targetId: string };
const requestTarget = (purpose: TStepUpPurpose = "APPROVE", targetId = uniqueId("req")): TStepUpTarget => ({
  purpose,
  targetType: "request",
  targetId,
});

const assertFor = async (
  actor: TUserActor,
  authenticator: TSoftwareAuthenticator,
  target: TStepUpTarget,
  overrides?: TAuthenticatorOverrides,
) => authenticator.assert(await startStepUp({ actor, ...target }), overrides);

const verifyIn = async (actor: TUserActor, target: TStepUpTarget, response: Awaited<ReturnType<typeof assertFor>>) => {
  const admission = await admitStepUp({ actor });
  return db.$transaction((tx) => verifyStepUp({ tx, admission, actor, ...target, response }));
};

describe("passkey registration", () => {
  it("registers a passkey on a fresh session, and audits it in the same transaction", async () => {
    const actor = await createActor();
    const authenticator = createSoftwareAuthenticator({ origin, rpId });
    const options = await startPasskeyRegistration({ actor });
    assert.equal(options.rp.id, rpId);
    assert.equal(options.authenticatorSelection?.userVerification, "required");
    assert.equal(options.authenticatorSelection?.residentKey, "preferred");
    assert.equal(options.attestation, "none");
    assert.equal(Buffer.from(options.user.id, "base64url").toString("utf8"), actor.userId);

    const passkey = await finishPasskeyRegistration({
      actor,
      name: "  Work laptop  ",
      response: authenticator.register(options),
    });
    assert.equal(passkey.name, "Work laptop");
    const stored = await db.passkey.findUniqueOrThrow({ where: { id: passkey.id } });
    assert.equal(stored.userId, actor.userId);
    assert.equal(stored.credentialId, authenticator.credentials()[0]?.id);
    assert.deepEqual(stored.transports, ["internal"]);
    assert.equal(stored.counter, 0n);

    const events = await db.auditEvent.findMany({ where: { action: "passkey.register", actorId: actor.userId } });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.outcome, "ALLOWED");
    assert.equal(events[0]?.targetId, passkey.id);
    const challenge = await db.webAuthnChallenge.findFirstOrThrow({
      where: { userId: actor.userId, purpose: "REGISTER" },
    });
    assert.ok(challenge.usedAt, "the registration challenge is spent");

    // The next registration excludes the passkey the person already has.
    const next = await startPasskeyRegistration({ actor });
    assert.deepEqual(
      next.excludeCredentials?.map((credential) => credential.id),
      [stored.credentialId],
    );
    assert.deepEqual(
      (await listPasskeys({ actor })).map((row) => row.id),
      [passkey.id],
    );
  });

  it("registration with an old session and no passkey is refused: sign in again", async () => {
    const actor = await createActor();
    await ageSession(actor);
    assert.equal(await getReauthRequirement({ actor }), "sign-in");
    await assert.rejects(startAddPasskey({ actor }), refusedWith("FORBIDDEN", { reauth: "required" }));
    const authenticator = createSoftwareAuthenticator({ origin, rpId });
    const response = authenticator.register(await startPasskeyRegistration({ actor }));
    await assert.rejects(
      finishPasskeyRegistration({ actor, name: "Laptop", response }),
      refusedWith("FORBIDDEN", { reauth: "required" }),
    );
    assert.equal(await db.passkey.count({ where: { userId: actor.userId } }), 0);
    const denied = await db.auditEvent.count({
      where: { action: "passkey.register", actorId: actor.userId, outcome: "DENIED" },
    });
    assert.equal(denied, 1, "the refusal is audited");
  });

  it("registration with an old session needs a MANAGE_PASSKEYS step-up from an existing passkey", async () => {
    const { actor, authenticator } = await personWithPasskey();
    await ageSession(actor);
    const second = createSoftwareAuthenticator({ origin, rpId });
    const started = await startAddPasskey({ actor });
    assert.ok(started.stepUp, "the UI is told to confirm first");
    const response = second.register(started.registration);
    await assert.rejects(
      finishPasskeyRegistration({ actor, name: "Phone", response }),
      refusedWith("FORBIDDEN", { stepUp: "required" }),
    );

    // Refused step-ups: for another person's target, or for a decision instead of passkeys.
    const forDecision = await assertFor(actor, authenticator, requestTarget("APPROVE"));
    await assert.rejects(
      finishPasskeyRegistration({ actor, name: "Phone", response, stepUp: forDecision }),
      refusedWith("FORBIDDEN", { stepUp: "wrong_purpose" }),
    );

    // The same registration response, now with the step-up: its challenge was not spent by the refusals.
    const stepUp = authenticator.assert(started.stepUp);
    const passkey = await finishPasskeyRegistration({ actor, name: "Phone", response, stepUp });
    assert.equal(passkey.name, "Phone");
    const event = await db.auditEvent.findFirstOrThrow({ where: { action: "passkey.register", targetId: passkey.id } });
    assert.equal((event.details as { confirmedBy?: string }).confirmedBy, "passkey");
  });

  it("a registration response is single-use", async () => {
    const actor = await createActor();
    const authenticator = createSoftwareAuthenticator({ origin, rpId });
    const response = authenticator.register(await startPasskeyRegistration({ actor }));
    await finishPasskeyRegistration({ actor, name: "Laptop", response });
    await assert.rejects(
      finishPasskeyRegistration({ actor, name: "Again", response }),
      refusedWith("FORBIDDEN", { passkey: "used" }),
    );
    assert.equal(await db.passkey.count({ where: { userId: actor.userId } }), 1);
  });

  it("registration refuses another origin, another RP ID, no user verification, and another person's challenge", async () => {
    const actor = await createActor();
    const other = await createActor();
    const authenticator = createSoftwareAuthenticator({ origin, rpId });
    const cases: Array<[TAuthenticatorOverrides, string]> = [
      [{ origin: "https://evil.example" }, "origin"],
      [{ rpId: "evil.example" }, "rp_id"],
      [{ userVerified: false }, "user_verification"],
    ];
    for (const [overrides, reason] of cases) {
      const response = authenticator.register(await startPasskeyRegistration({ actor }), overrides);
      await assert.rejects(
        finishPasskeyRegistration({ actor, name: "Laptop", response }),
        refusedWith("FORBIDDEN", { passkey: reason }),
      );
    }
    const theirs = authenticator.register(await startPasskeyRegistration({ actor: other }));
    await assert.rejects(
      finishPasskeyRegistration({ actor, name: "Laptop", response: theirs }),
      refusedWith("FORBIDDEN", { passkey: "wrong_user" }),
    );
    assert.equal(await db.passkey.count({ where: { userId: { in: [actor.userId, other.userId] } } }), 0);
  });

  it("refuses an empty or overlong name with a reason", async () => {
    const actor = await createActor();
    const authenticator = createSoftwareAuthenticator({ origin, rpId });
    for (const name of ["   ", "x".repeat(61)]) {
      const response = authenticator.register(await startPasskeyRegistration({ actor }));
      await assert.rejects(finishPasskeyRegistration({ actor, name, response }), refusedWith("INVALID_INPUT"));
    }
  });
});

describe("passkey removal", () => {
  it("another person's passkey id is NOT_FOUND and nothing is deleted", async () => {
    const { passkey } = await personWithPasskey();
    const intruder = await createActor();
    await assert.rejects(removePasskey({ actor: intruder, passkeyId: passkey.id }), refusedWith("NOT_FOUND"));
    assert.ok(await db.passkey.findUnique({ where: { id: passkey.id } }), "still there");
    assert.deepEqual(await listPasskeys({ actor: intruder }), [], "nor is it listed for them");
  });

  it("removing a passkey that is not the last needs a step-up even on a fresh session: a stolen session cannot strip passkeys", async () => {
    const { actor, authenticator, passkey } = await personWithPasskey();
    const second = createSoftwareAuthenticator({ origin, rpId });
    const phone = await finishPasskeyRegistration({
      actor,
      name: "Phone",
      response: second.register(await startPasskeyRegistration({ actor })),
    });
    // The session is minutes old: before, that was enough. Now it is refused and nothing changes.
    for (const passkeyId of [passkey.id, phone.id])
      await assert.rejects(removePasskey({ actor, passkeyId }), refusedWith("FORBIDDEN", { stepUp: "required" }));
    assert.equal(await db.passkey.count({ where: { userId: actor.userId } }), 2);
    const refusal = await db.auditEvent.findFirstOrThrow({
      where: { action: "passkey.remove", actorId: actor.userId, outcome: "DENIED" },
    });
    assert.equal(refusal.targetId, passkey.id);

    // A step-up made with the very passkey being removed is enough: the person holds it.
    const stepUp = await assertFor(actor, authenticator, {
      purpose: "MANAGE_PASSKEYS",
      targetType: "user",
      targetId: actor.userId,
    });
    await removePasskey({ actor, passkeyId: passkey.id, stepUp });
    assert.equal(await db.passkey.count({ where: { userId: actor.userId } }), 1);
    const event = await db.auditEvent.findFirstOrThrow({
      where: { action: "passkey.remove", targetId: passkey.id, outcome: "ALLOWED" },
    });
    assert.equal((event.details as { confirmedBy: string }).confirmedBy, "passkey");

    // A step-up is spent once: replayed for the next removal, it is refused.
    await assert.rejects(removePasskey({ actor, passkeyId: phone.id, stepUp }), refusedWith("FORBIDDEN"));
    assert.equal(await db.passkey.count({ where: { userId: actor.userId } }), 1);
  });

  it("the person is notified in the app and by e-mail when a passkey is added or removed", async () => {
    const { actor, authenticator, passkey } = await personWithPasskey();
    const stepUp = await assertFor(actor, authenticator, {
      purpose: "MANAGE_PASSKEYS",
      targetType: "user",
      targetId: actor.userId,
    });
    await removePasskey({ actor, passkeyId: passkey.id, stepUp, context: { ip: "203.0.113.9" } });
    const notices = await db.notification.findMany({
      where: { userId: actor.userId, kind: { startsWith: "passkey." } },
      orderBy: { createdAt: "asc" },
    });
    assert.deepEqual(
      notices.map((notice) => [notice.kind, notice.title, notice.link]),
      [
        ["passkey.added", "Passkey “Laptop” added", "/passkeys"],
        ["passkey.removed", "Passkey “Laptop” removed", "/passkeys"],
      ],
    );
    assert.match(notices[1]?.body ?? "", /from 203\.0\.113\.9/);
    for (const notice of notices) {
      assert.deepEqual(notice.channels, ["email"], "an e-mail copy is owed");
      assert.equal(
        await db.outboxJob.count({
          where: { name: "notify.send", payload: { path: ["notificationId"], equals: notice.id } },
        }),
        1,
        "and queued in the change's transaction",
      );
    }
  });

  it("removing the last passkey needs a fresh sign-in or a step-up", async () => {
    const { actor, authenticator, passkey } = await personWithPasskey();
    await ageSession(actor);
    await assert.rejects(
      removePasskey({ actor, passkeyId: passkey.id }),
      refusedWith("FORBIDDEN", { stepUp: "required" }),
    );
    assert.equal(await db.passkey.count({ where: { userId: actor.userId } }), 1);

    const stepUp = await assertFor(actor, authenticator, {
      purpose: "MANAGE_PASSKEYS",
      targetType: "user",
      targetId: actor.userId,
    });
    await removePasskey({ actor, passkeyId: passkey.id, stepUp });
    assert.equal(await db.passkey.count({ where: { userId: actor.userId } }), 0);

    // On a fresh session the last one goes without a step-up.
    const fresh = await personWithPasskey();
    await removePasskey({ actor: fresh.actor, passkeyId: fresh.passkey.id });
    assert.equal(await db.passkey.count({ where: { userId: fresh.actor.userId } }), 0);
  });

  it("two concurrent removals without a step-up leave both passkeys in place", async () => {
    const { actor, passkey } = await personWithPasskey();
    const second = createSoftwareAuthenticator({ origin, rpId });
    const other = await finishPasskeyRegistration({
      actor,
      name: "Phone",
      response: second.register(await startPasskeyRegistration({ actor })),
    });
    await ageSession(actor);
    const outcomes = await Promise.allSettled([
      removePasskey({ actor, passkeyId: passkey.id }),
      removePasskey({ actor, passkeyId: other.id }),
    ]);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, "rejected");
      refusedWith("FORBIDDEN", { stepUp: "required" })((outcome as PromiseRejectedResult).reason);
    }
    assert.equal(await db.passkey.count({ where: { userId: actor.userId } }), 2);
  });

  it("a MANAGE_PASSKEYS step-up cannot be issued for someone else", async () => {
    const { actor } = await personWithPasskey();
    const other = await createActor();
    await assert.rejects(
      startStepUp({ actor, purpose: "MANAGE_PASSKEYS", targetType: "user", targetId: other.userId }),
      refusedWith("FORBIDDEN"),
    );
  });
});

describe("step-up", () => {
  it("a person without a passkey is told to add one", async () => {
    const actor = await createActor();
    await assert.rejects(startStepUp({ actor, ...requestTarget() }), refusedWith("CONFLICT", { passkey: "required" }));
  });

  it("issues a challenge bound to the person, purpose and target, and verifies it once", async () => {
    const { actor, authenticator, passkey } = await personWithPasskey();
    const target = requestTarget("APPROVE");
    const options = await startStepUp({ actor, ...target });
    assert.equal(options.userVerification, "required");
    assert.equal(options.timeout, 5 * 60_000);
    assert.deepEqual(
      options.allowCredentials?.map((credential) => credential.id),
      [authenticator.credentials()[0]?.id],
    );
    const row = await db.webAuthnChallenge.findUniqueOrThrow({ where: { challenge: options.challenge } });
    assert.deepEqual(
      [row.userId, row.purpose, row.targetType, row.targetId],
      [actor.userId, "APPROVE", "request", target.targetId],
    );
    assert.ok(Math.abs(row.expiresAt.getTime() - row.createdAt.getTime() - 5 * 60_000) < 2_000);

    const before = new Date();
    const result = await verifyIn(actor, target, authenticator.assert(options));
    assert.deepEqual(result, { passkeyId: passkey.id, challengeId: row.id });
    const stored = await db.passkey.findUniqueOrThrow({ where: { id: passkey.id } });
    assert.equal(stored.counter, 1n);
    assert.ok(stored.lastUsedAt && stored.lastUsedAt >= before);
    assert.ok((await db.webAuthnChallenge.findUniqueOrThrow({ where: { id: row.id } })).usedAt);
    assert.equal(
      await db.auditEvent.count({
        where: { action: "webauthn.step_up", actorId: actor.userId, targetId: target.targetId },
      }),
      1,
    );
  });

  it("the challenge is spent only if the caller's decision commits", async () => {
    const { actor, authenticator } = await personWithPasskey();
    const target = requestTarget();
    const assertion = await assertFor(actor, authenticator, target);
    const admission = await admitStepUp({ actor });
    await assert.rejects(
      db.$transaction(async (tx) => {
        await verifyStepUp({ tx, admission, actor, ...target, response: assertion });
        throw new Error("the decision failed after the step-up");
      }),
      /the decision failed/,
    );
    const row = await db.webAuthnChallenge.findFirstOrThrow({
      where: { userId: actor.userId, targetId: target.targetId },
    });
    assert.equal(row.usedAt, null, "rolled back with the decision");
    await verifyIn(actor, target, assertion);
  });

  it("replay: the same assertion verifies only once", async () => {
    const { actor, authenticator } = await personWithPasskey();
    const target = requestTarget();
    const assertion = await assertFor(actor, authenticator, target);
    await verifyIn(actor, target, assertion);
    await assert.rejects(verifyIn(actor, target, assertion), refusedWith("FORBIDDEN", { stepUp: "used" }));
  });

  it("an assertion for request A does not verify for request B", async () => {
    const { actor, authenticator } = await personWithPasskey();
    const requestA = requestTarget("APPROVE");
    const requestB = requestTarget("APPROVE");
    const assertion = await assertFor(actor, authenticator, requestA);
    await assert.rejects(verifyIn(actor, requestB, assertion), refusedWith("FORBIDDEN", { stepUp: "wrong_target" }));
    await assert.rejects(
      verifyIn(actor, { ...requestA, targetType: "grant" }, assertion),
      refusedWith("FORBIDDEN", { stepUp: "wrong_target" }),
    );
    // Still good for A: a refusal rolls back and spends nothing.
    await verifyIn(actor, requestA, assertion);
  });

  it("an APPROVE challenge does not verify for DENY of the same request", async () => {
    const { actor, authenticator } = await personWithPasskey();
    const approve = requestTarget("APPROVE");
    const assertion = await assertFor(actor, authenticator, approve);
    await assert.rejects(
      verifyIn(actor, { ...approve, purpose: "DENY" }, assertion),
      refusedWith("FORBIDDEN", { stepUp: "wrong_purpose" }),
    );
  });

  it("another person's challenge is refused, even answered with one's own passkey", async () => {
    const alice = await personWithPasskey();
    const mallory = await personWithPasskey();
    const target = requestTarget();
    const alicesOptions = await startStepUp({ actor: alice.actor, ...target });
    // Mallory signs Alice's challenge with her own passkey and submits it as herself.
    const ownOptions = await startStepUp({ actor: mallory.actor, ...target });
    const signed = mallory.authenticator.assert(ownOptions, { challenge: alicesOptions.challenge });
    await assert.rejects(verifyIn(mallory.actor, target, signed), refusedWith("FORBIDDEN", { stepUp: "wrong_user" }));
    // And Alice's genuine assertion submitted by Mallory is refused the same way.
    const alicesAssertion = alice.authenticator.assert(alicesOptions);
    await assert.rejects(
      verifyIn(mallory.actor, target, alicesAssertion),
      refusedWith("FORBIDDEN", { stepUp: "wrong_user" }),
    );
  });

  it("an expired challenge is refused", async () => {
    const { actor, authenticator } = await personWithPasskey();
    const target = requestTarget();
    const options = await startStepUp({ actor, ...target });
    await db.webAuthnChallenge.update({
      where: { challenge: options.challenge },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    await assert.rejects(
      verifyIn(actor, target, authenticator.assert(options)),
      refusedWith("FORBIDDEN", { stepUp: "expired" }),
    );
  });

  it("an assertion made on another origin is refused", async () => {
    const { actor, authenticator } = await personWithPasskey();
    const target = requestTarget();
    const assertion = await assertFor(actor, authenticator, target, { origin: "https://evil.example" });
    await assert.rejects(verifyIn(actor, target, assertion), refusedWith("FORBIDDEN", { stepUp: "origin" }));
  });

  it("an assertion for another RP ID is refused", async () => {
    const { actor, authenticator } = await personWithPasskey();
    const target = requestTarget();
    const assertion = await assertFor(actor, authenticator, target, { rpId: "evil.example" });
    await assert.rejects(verifyIn(actor, target, assertion), refusedWith("FORBIDDEN", { stepUp: "rp_id" }));
  });

  it("an assertion without user verification is refused", async () => {
    const { actor, authenticator } = await personWithPasskey();
    const target = requestTarget();
    const assertion = await assertFor(actor, authenticator, target, { userVerified: false });
    await assert.rejects(verifyIn(actor, target, assertion), refusedWith("FORBIDDEN", { stepUp: "user_verification" }));
  });

  it("a signature counter regression (a cloned authenticator) is refused", async () => {
    const { actor, authenticator, passkey } = await personWithPasskey();
    const first = requestTarget();
    await verifyIn(actor, first, await assertFor(actor, authenticator, first, { signCount: 5 }));
    const second = requestTarget();
    const assertion = await assertFor(actor, authenticator, second, { signCount: 3 });
    await assert.rejects(verifyIn(actor, second, assertion), refusedWith("FORBIDDEN", { stepUp: "counter" }));
    assert.equal(
      (await db.passkey.findUniqueOrThrow({ where: { id: passkey.id } })).counter,
      5n,
      "the counter did not move back",
    );
  });

  it("someone else's passkey cannot answer a person's challenge", async () => {
    const alice = await personWithPasskey();
    const bob = await personWithPasskey();
    const target = requestTarget();
    const alicesOptions = await startStepUp({ actor: alice.actor, ...target });
    // Bob's credential signs Alice's challenge (his client ignores allowCredentials); it is
    // submitted in Alice's name.
    const signedByBob = bob.authenticator.assert(alicesOptions, { ignoreAllowCredentials: true });
    await assert.rejects(
      verifyIn(alice.actor, target, signedByBob),
      refusedWith("FORBIDDEN", { stepUp: "unknown_passkey" }),
    );
  });

  it("a forged signature is refused", async () => {
    const { actor, authenticator } = await personWithPasskey();
    const target = requestTarget();
    const assertion = await assertFor(actor, authenticator, target);
    const other = await assertFor(actor, authenticator, requestTarget());
    const forged = { ...assertion, response: { ...assertion.response, signature: other.response.signature } };
    await assert.rejects(verifyIn(actor, target, forged), refusedWith("FORBIDDEN", { stepUp: "signature" }));
  });

  it("garbage instead of an assertion is a refusal, not a 500", async () => {
    const { actor } = await personWithPasskey();
    const target = requestTarget();
    const garbage = [
      {
        id: "x",
        rawId: "x",
        type: "public-key",
        response: { clientDataJSON: "bm90LWpzb24", authenticatorData: "AA", signature: "AA" },
        clientExtensionResults: {},
      },
      { id: "not base64!", rawId: "x" },
    ];
    for (const response of garbage) {
      const admission = await admitStepUp({ actor });
      await assert.rejects(
        db.$transaction((tx) => verifyStepUp({ tx, admission, actor, ...target, response: response as never })),
        refusedWith("FORBIDDEN", { stepUp: "malformed" }),
      );
    }
  });

  it("concurrent double use: two transactions with the same assertion, exactly one succeeds", async () => {
    const { actor, authenticator, passkey } = await personWithPasskey();
    const target = requestTarget();
    const assertion = await assertFor(actor, authenticator, target);
    const admission = await admitStepUp({ actor });
    const attempt = () =>
      db.$transaction(async (tx) => {
        const result = await verifyStepUp({ tx, admission, actor, ...target, response: assertion });
        // Hold the transaction open so the other attempt overlaps it.
        await new Promise((resolve) => setTimeout(resolve, 200));
        return result;
      });
    const outcomes = await Promise.allSettled([attempt(), attempt()]);
    const fulfilled = outcomes.filter((outcome) => outcome.status === "fulfilled");
    const rejected = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    assert.equal(fulfilled.length, 1, "exactly one verification succeeds");
    assert.equal(rejected.length, 1);
    refusedWith("FORBIDDEN", { stepUp: "used" })(rejected[0]?.reason);
    assert.equal((await db.passkey.findUniqueOrThrow({ where: { id: passkey.id } })).counter, 1n);
    assert.equal(await db.auditEvent.count({ where: { action: "webauthn.step_up", targetId: target.targetId } }), 1);
  });
});
