import { verifyAuthenticationResponse, type VerifiedAuthenticationResponse } from "@simplewebauthn/server";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import type { Db } from "../db";
import { enforceRateLimit } from "../security/rate-limits";
import { challengeOf, checkChallenge, consumeChallenge } from "./challenges";
import { relyingParty } from "./config";
import { classifyVerificationError, stepUpRefused } from "./refusals";
import {
  type TAuthenticationResponse,
  type TStepUpPurpose,
  ZAuthenticationResponse,
  ZStepUpPurpose,
  ZStepUpTarget,
} from "./schemas";
import { currentTime } from "../clock";

declare const ADMITTED: unique symbol;
/** Proof that this confirmation passed the step-up rate limits (admitStepUp); verifyStepUp requires it. */
export type TStepUpAdmission = { readonly userId: string; readonly [ADMITTED]: true };

/**
 * Counts one passkey confirmation against the step-up limits, per person and per client IP,
 * or refuses it with RATE_LIMITED (audited once per lockout). Call it before the transaction
 * that verifies the assertion, never inside one: a refusal then writes nothing of the
 * decision, and its audit event does not wait on the caller's connection. verifyStepUp takes
 * what it returns, so no caller can skip it.
 */
export const admitStepUp = async (options: {
  actor: TUserActor;
  context?: TAuditContext;
}): Promise<TStepUpAdmission> => {
  await enforceRateLimit({ flow: "step_up.verify", userId: options.actor.userId, context: options.context });
  return { userId: options.actor.userId } as TStepUpAdmission;
};

export type TVerifyStepUp = {
  /** The caller's interactive transaction: the challenge is spent only if the decision commits. */
  tx: Db;
  /** From admitStepUp, for this actor, before the transaction. */
  admission: TStepUpAdmission;
  actor: TUserActor;
  purpose: TStepUpPurpose;
  targetType: string;
  targetId: string;
  /** From `startAuthentication()` in the browser; untrusted, re-validated here. */
  response: TAuthenticationResponse;
  context?: TAuditContext;
};

export type TStepUpResult = { passkeyId: string; challengeId: string };

/**
 * Verifies a passkey assertion made for exactly this person, purpose and target (DESIGN
 * invariant 4), inside the caller's transaction, and spends its challenge there.
 *
 * Refuses with AppError FORBIDDEN, `fields.stepUp` = the reason (see TCeremonyRefusal), when:
 * the challenge is unknown, another person's, for another purpose (APPROVE is not DENY) or
 * another target, used or expired; the credential is not one of this person's passkeys; the
 * origin, RP ID, user verification, signature or signature counter is wrong.
 *
 * Because the refusal rolls the caller's transaction back, audit it after the transaction
 * (recordAuditEvent), not inside: see finishPasskeyRegistration for the pattern. Success is
 * audited here as `webauthn.step_up`, in the same transaction as the decision.
 */
export const verifyStepUp = async (options: TVerifyStepUp): Promise<TStepUpResult> => {
  const { tx, actor, context = {} } = options;
  if (options.admission.userId !== actor.userId)
    throw new Error("verifyStepUp: the admission was made for another person");
  const purpose = ZStepUpPurpose.safeParse(options.purpose);
  const target = ZStepUpTarget.safeParse({ targetType: options.targetType, targetId: options.targetId });
  const parsed = ZAuthenticationResponse.safeParse(options.response);
  if (!purpose.success || !target.success || !parsed.success) throw stepUpRefused("malformed");
  const response = parsed.data;
  const { targetType, targetId } = target.data;

  const challenge = challengeOf(response.response.clientDataJSON);
  if (!challenge) throw stepUpRefused("malformed");

  const now = currentTime();
  const row = await tx.webAuthnChallenge.findUnique({ where: { challenge } });
  const mismatch = checkChallenge(row, { actor, purpose: purpose.data, targetType, targetId, now });
  if (mismatch || !row) throw stepUpRefused(mismatch ?? "unknown_challenge");
  if (!(await consumeChallenge(tx, row.id, now))) throw stepUpRefused("used");

  // Scoped by person: another user's credential answering this person's challenge is refused.
  const passkey = await tx.passkey.findFirst({ where: { credentialId: response.id, userId: actor.userId } });
  if (!passkey) throw stepUpRefused("unknown_passkey");

  const rp = relyingParty();
  let verification: VerifiedAuthenticationResponse;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: row.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: Number(passkey.counter),
        transports: passkey.transports,
      },
    });
  } catch (error) {
    // Counter regression, origin, RP ID, UV, type: all thrown as plain Errors.
    throw stepUpRefused(classifyVerificationError(error));
  }
  if (!verification.verified) throw stepUpRefused("signature");
  if (!verification.authenticationInfo.userVerified) throw stepUpRefused("user_verification");

  // Conditional on the counter we verified against: of two assertions racing on one passkey,
  // the later writer finds the counter moved and is refused instead of rolling it back.
  const updated = await tx.passkey.updateMany({
    where: { id: passkey.id, userId: actor.userId, counter: passkey.counter },
    data: { counter: BigInt(verification.authenticationInfo.newCounter), lastUsedAt: now },
  });
  if (updated.count !== 1) throw stepUpRefused("concurrent");

  await appendAuditEvent(tx, {
    actorType: "USER",
    actorId: actor.userId,
    action: "webauthn.step_up",
    targetType,
    targetId,
    outcome: "ALLOWED",
    details: { purpose: purpose.data, passkeyId: passkey.id, challengeId: row.id },
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
    requestId: context.requestId ?? null,
  });
  return { passkeyId: passkey.id, challengeId: row.id };
};
