import { type VerifiedRegistrationResponse, verifyRegistrationResponse } from "@simplewebauthn/server";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db, Prisma } from "../db";
import { AppError } from "../errors";
import { challengeOf, checkChallenge, consumeChallenge } from "./challenges";
import { relyingParty } from "./config";
import { PASSKEY_ROW_SELECT, type TPasskeyRow } from "./list-passkeys";
import { assertRecentAuth } from "./recent-auth";
import { notifyPasskeyChange } from "./passkey-notices";
import { recordPasskeyRefusal } from "./record-refusal";
import { classifyVerificationError, registrationRefused, stepUpRefused } from "./refusals";
import {
  type TAuthenticationResponse,
  type TRegistrationResponse,
  ZAuthenticationResponse,
  ZPasskeyName,
  ZRegistrationResponse,
} from "./schemas";
import { admitStepUp, type TStepUpAdmission } from "./verify-step-up";
import { currentTime } from "../clock";

export type TFinishPasskeyRegistration = {
  actor: TUserActor;
  /** Shown in the list; trimmed, 1 to 60 characters. */
  name: string;
  /** From `startRegistration()` in the browser. */
  response: TRegistrationResponse;
  /**
   * A MANAGE_PASSKEYS step-up assertion (target: the actor themself), needed when the
   * session began 10 minutes ago or more and the person already has a passkey.
   */
  stepUp?: TAuthenticationResponse;
  context?: TAuditContext;
};

const isUniqueViolation = (error: unknown): boolean =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

/**
 * Stores a new passkey for the actor, after checking, in one transaction: a recent sign-in or
 * a step-up with an existing passkey; a REGISTER challenge issued to this person, unused and
 * unexpired (spent here); origin, RP ID and user verification. The passkey, its
 * `passkey.register` audit event and the notice to the person (e-mail and in-app) commit together. Refusals are FORBIDDEN: `fields.reauth` /
 * `fields.stepUp` = "required" ask for a sign-in or a step-up; other reasons are in
 * `fields.passkey` or `fields.stepUp`.
 */
export const finishPasskeyRegistration = async (options: TFinishPasskeyRegistration): Promise<TPasskeyRow> => {
  const { actor, context = {} } = options;
  await assertCan(actor, "passkeys.manage", { type: "user", id: actor.userId }, context);

  const name = ZPasskeyName.safeParse(options.name);
  if (!name.success)
    throw new AppError("INVALID_INPUT", name.error.issues[0]?.message ?? "Invalid name.", {
      name: name.error.issues[0]?.message ?? "invalid",
    });
  const parsed = ZRegistrationResponse.safeParse(options.response);
  if (!parsed.success) throw registrationRefused("malformed");
  const response = parsed.data;
  let stepUp: { response: TAuthenticationResponse; admission: TStepUpAdmission } | undefined;
  if (options.stepUp !== undefined) {
    const parsedStepUp = ZAuthenticationResponse.safeParse(options.stepUp);
    if (!parsedStepUp.success) throw stepUpRefused("malformed");
    stepUp = { response: parsedStepUp.data, admission: await admitStepUp({ actor, context }) };
  }
  const challenge = challengeOf(response.response.clientDataJSON);
  if (!challenge) throw registrationRefused("malformed");

  try {
    return await db.$transaction(async (tx) => {
      const recentAuth = await assertRecentAuth({ tx, actor, stepUp, context });

      const now = currentTime();
      const row = await tx.webAuthnChallenge.findUnique({ where: { challenge } });
      const mismatch = checkChallenge(row, {
        actor,
        purpose: "REGISTER",
        targetType: "user",
        targetId: actor.userId,
        now,
      });
      if (mismatch || !row) throw registrationRefused(mismatch ?? "unknown_challenge");
      if (!(await consumeChallenge(tx, row.id, now))) throw registrationRefused("used");

      const rp = relyingParty();
      let verification: VerifiedRegistrationResponse;
      try {
        verification = await verifyRegistrationResponse({
          response,
          expectedChallenge: row.challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.rpId,
          requireUserVerification: true,
        });
      } catch (error) {
        throw registrationRefused(classifyVerificationError(error));
      }
      if (!verification.verified) throw registrationRefused("invalid");
      const info = verification.registrationInfo;
      if (!info.userVerified) throw registrationRefused("user_verification");

      if (await tx.passkey.findUnique({ where: { credentialId: info.credential.id }, select: { id: true } })) {
        throw new AppError("CONFLICT", "This passkey is already registered.", { passkey: "duplicate" });
      }
      const passkey = await tx.passkey.create({
        data: {
          userId: actor.userId,
          credentialId: info.credential.id,
          publicKey: new Uint8Array(info.credential.publicKey),
          counter: BigInt(info.credential.counter),
          transports: info.credential.transports ?? [],
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
          aaguid: info.aaguid,
          name: name.data,
        },
        select: PASSKEY_ROW_SELECT,
      });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "passkey.register",
        targetType: "passkey",
        targetId: passkey.id,
        outcome: "ALLOWED",
        details: {
          userId: actor.userId,
          name: passkey.name,
          deviceType: passkey.deviceType,
          backedUp: passkey.backedUp,
          aaguid: info.aaguid,
          challengeId: row.id,
          confirmedBy: recentAuth.method,
          ...(recentAuth.method === "passkey"
            ? { stepUpPasskeyId: recentAuth.passkeyId, stepUpChallengeId: recentAuth.challengeId }
            : {}),
        },
        ip: context.ip ?? null,
        userAgent: context.userAgent ?? null,
        requestId: context.requestId ?? null,
      });
      await notifyPasskeyChange({
        tx,
        userId: actor.userId,
        change: "added",
        passkeyName: passkey.name,
        context,
        at: now,
      });
      return passkey;
    });
  } catch (error) {
    const mapped = isUniqueViolation(error)
      ? new AppError("CONFLICT", "This passkey is already registered.", { passkey: "duplicate" })
      : error;
    await recordPasskeyRefusal({
      actor,
      action: "passkey.register",
      targetType: "user",
      targetId: actor.userId,
      error: mapped,
      context,
    });
    throw mapped;
  }
};
