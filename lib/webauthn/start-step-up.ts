import { generateAuthenticationOptions, type PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { enforceRateLimit } from "../security/rate-limits";
import { issueChallenge } from "./challenges";
import { CHALLENGE_TTL_MS, relyingParty } from "./config";
import { type TStepUpPurpose, ZStepUpPurpose, ZStepUpTarget } from "./schemas";

/**
 * Opens a passkey step-up for one decision: a single-use challenge bound to (this person,
 * `purpose`, `targetType`, `targetId`), good for 5 minutes, answerable only by this person's
 * passkeys with user verification. The browser passes the result to `startAuthentication`.
 *
 * Issuing a challenge grants nothing; the domain function that later calls verifyStepUp
 * decides whether the actor may make that decision. CONFLICT with `fields.passkey =
 * "required"` when the person has no passkey yet, so the UI can send them to /passkeys.
 * RATE_LIMITED, before anything is written, past the step-up limits per person and per IP.
 */
export const startStepUp = async (options: {
  actor: TUserActor;
  purpose: TStepUpPurpose;
  targetType: string;
  targetId: string;
  context?: TAuditContext;
}): Promise<PublicKeyCredentialRequestOptionsJSON> => {
  const { actor, context } = options;
  const purpose = ZStepUpPurpose.safeParse(options.purpose);
  const target = ZStepUpTarget.safeParse({ targetType: options.targetType, targetId: options.targetId });
  if (!purpose.success || !target.success) throw new AppError("INVALID_INPUT", "Invalid passkey prompt.");
  await enforceRateLimit({ flow: "step_up.start", userId: actor.userId, context });
  if (purpose.data === "MANAGE_PASSKEYS") {
    if (target.data.targetType !== "user")
      throw new AppError("INVALID_INPUT", "Passkey management is confirmed for a person.");
    await assertCan(actor, "passkeys.manage", { type: "user", id: target.data.targetId }, context);
  }

  const passkeys = await db.passkey.findMany({
    where: { userId: actor.userId },
    select: { credentialId: true, transports: true },
  });
  if (passkeys.length === 0) {
    throw new AppError("CONFLICT", "You need a passkey to confirm this. Add one on the Passkeys page.", {
      passkey: "required",
    });
  }
  const rp = relyingParty();
  const requestOptions = await generateAuthenticationOptions({
    rpID: rp.rpId,
    allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    userVerification: "required",
    timeout: CHALLENGE_TTL_MS,
  });
  await issueChallenge({
    userId: actor.userId,
    purpose: purpose.data,
    ...target.data,
    challenge: requestOptions.challenge,
  });
  return requestOptions;
};
