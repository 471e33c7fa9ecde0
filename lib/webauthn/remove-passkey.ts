import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { notifyPasskeyChange } from "./passkey-notices";
import { assertRecentAuth, stepUpRequired, type TRecentAuth } from "./recent-auth";
import { recordPasskeyRefusal } from "./record-refusal";
import { stepUpRefused } from "./refusals";
import { type TAuthenticationResponse, ZAuthenticationResponse } from "./schemas";
import { admitStepUp, type TStepUpAdmission } from "./verify-step-up";

// Distinct from the audit chain's single-key lock: two int4 keys are another lock space.
const PASSKEYS_LOCK_CLASS = 7_311_002;

const ZPasskeyId = z.string().min(1).max(64);

/**
 * Removes one of the actor's own passkeys. The actor is part of the `where`, so another
 * person's passkey id is NOT_FOUND and nothing is deleted.
 *
 * Every removal needs a fresh MANAGE_PASSKEYS step-up (`stepUp`), made with any of the
 * person's passkeys, the one being removed included (ADR 0033): a stolen session, even a
 * fresh one, holds no authenticator, so it cannot strip a person of their passkeys. The one
 * exception is the last passkey, which a recent sign-in (10 minutes) may also remove: a person
 * who lost their only device must be able to clean up, and the IdP sign-in is then the only
 * proof left. Refused: FORBIDDEN with `fields.stepUp = "required"` (or `reauth`).
 *
 * The person is notified (e-mail and in-app) in the removal's transaction.
 */
export const removePasskey = async (options: {
  actor: TUserActor;
  passkeyId: string;
  stepUp?: TAuthenticationResponse;
  context?: TAuditContext;
}): Promise<void> => {
  const { actor, context = {} } = options;
  await assertCan(actor, "passkeys.manage", { type: "user", id: actor.userId }, context);
  const passkeyId = ZPasskeyId.safeParse(options.passkeyId);
  let stepUp: { response: TAuthenticationResponse; admission: TStepUpAdmission } | undefined;
  if (options.stepUp !== undefined) {
    const parsed = ZAuthenticationResponse.safeParse(options.stepUp);
    if (!parsed.success) throw stepUpRefused("malformed");
    stepUp = { response: parsed.data, admission: await admitStepUp({ actor, context }) };
  }

  try {
    await db.$transaction(async (tx) => {
      if (!passkeyId.success) throw new AppError("NOT_FOUND", "No such passkey.");
      // One passkey change per person at a time: two concurrent removals must not both see
      // "not the last one" and leave the person with none, unconfirmed.
      await tx.$executeRaw`select pg_advisory_xact_lock(${PASSKEYS_LOCK_CLASS}::int4, hashtext(${actor.userId}))`;
      const passkey = await tx.passkey.findFirst({
        where: { id: passkeyId.data, userId: actor.userId },
        select: { id: true, name: true },
      });
      if (!passkey) throw new AppError("NOT_FOUND", "No such passkey.");
      const count = await tx.passkey.count({ where: { userId: actor.userId } });
      // Not the last one: only an assertion will do, however recent the sign-in.
      if (count > 1 && !stepUp) throw stepUpRequired();
      const recentAuth: TRecentAuth = await assertRecentAuth({ tx, actor, stepUp, context });

      const deleted = await tx.passkey.deleteMany({ where: { id: passkey.id, userId: actor.userId } });
      if (deleted.count !== 1) throw new AppError("NOT_FOUND", "No such passkey.");
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "passkey.remove",
        targetType: "passkey",
        targetId: passkey.id,
        outcome: "ALLOWED",
        details: {
          userId: actor.userId,
          name: passkey.name,
          remaining: count - 1,
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
        change: "removed",
        passkeyName: passkey.name,
        context,
        at: new Date(),
      });
    });
  } catch (error) {
    await recordPasskeyRefusal({
      actor,
      action: "passkey.remove",
      targetType: "passkey",
      targetId: passkeyId.success ? passkeyId.data : "(invalid)",
      error,
      context,
    });
    throw error;
  }
};
