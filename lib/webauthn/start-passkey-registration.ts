import { generateRegistrationOptions, type PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { issueChallenge } from "./challenges";
import { CHALLENGE_TTL_MS, relyingParty } from "./config";

/**
 * Opens a passkey registration for the actor themself: options for the browser's
 * `startRegistration`, and a REGISTER challenge good for 5 minutes. The user handle is the
 * user id's bytes (no email in it), so a passkey survives an email change at the IdP.
 */
export const startPasskeyRegistration = async (options: {
  actor: TUserActor;
  context?: TAuditContext;
}): Promise<PublicKeyCredentialCreationOptionsJSON> => {
  const { actor } = options;
  await assertCan(actor, "passkeys.manage", { type: "user", id: actor.userId }, options.context);
  const existing = await db.passkey.findMany({
    where: { userId: actor.userId },
    select: { credentialId: true, transports: true },
  });
  const rp = relyingParty();
  const creationOptions = await generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpId,
    userID: new TextEncoder().encode(actor.userId),
    userName: actor.email ?? actor.name,
    userDisplayName: actor.name,
    attestationType: "none",
    timeout: CHALLENGE_TTL_MS,
    // The browser refuses to make a second passkey on an authenticator that holds one of these.
    excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
  });
  await issueChallenge({
    userId: actor.userId,
    purpose: "REGISTER",
    targetType: "user",
    targetId: actor.userId,
    challenge: creationOptions.challenge,
  });
  return creationOptions;
};
