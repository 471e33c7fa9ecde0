import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { type Db, db } from "../db";
import { AppError } from "../errors";
import { RECENT_SIGN_IN_MS } from "./config";
import { MESSAGES } from "./refusals";
import type { TAuthenticationResponse } from "./schemas";
import { type TStepUpAdmission, verifyStepUp } from "./verify-step-up";
import { currentTime } from "../clock";

/**
 * What adding a passkey, or removing the last one, needs right now:
 * - "none": the session began less than 10 minutes ago;
 * - "passkey": an assertion with one of the person's passkeys (a MANAGE_PASSKEYS step-up);
 * - "sign-in": no passkey to assert with, so a fresh sign-in.
 */
export type TReauthRequirement = "none" | "passkey" | "sign-in";

const requirementIn = async (client: Db, actor: TUserActor, now: Date): Promise<TReauthRequirement> => {
  const session = await client.session.findFirst({
    where: { id: actor.sessionId, userId: actor.userId, revokedAt: null },
    select: { createdAt: true },
  });
  if (session && now.getTime() - session.createdAt.getTime() < RECENT_SIGN_IN_MS) return "none";
  return (await client.passkey.count({ where: { userId: actor.userId } })) > 0 ? "passkey" : "sign-in";
};

/** For the UI, before a ceremony: whether to ask for a step-up first, or a new sign-in. */
export const getReauthRequirement = (options: { actor: TUserActor }): Promise<TReauthRequirement> =>
  requirementIn(db, options.actor, currentTime());

export const reauthRequired = (): AppError =>
  new AppError(
    "FORBIDDEN",
    "For your security this needs a sign-in from the last 10 minutes, and you have no passkey to confirm with yet. Sign in again, then retry.",
    {
      reauth: "required",
    },
  );

export const stepUpRequired = (): AppError => new AppError("FORBIDDEN", MESSAGES.required, { stepUp: "required" });

export type TRecentAuth = { method: "recent_sign_in" } | { method: "passkey"; passkeyId: string; challengeId: string };

/**
 * Inside the change's transaction: passes on a verified MANAGE_PASSKEYS step-up bound to the
 * actor themself, or on a recent sign-in; otherwise FORBIDDEN with `fields.stepUp` or
 * `fields.reauth` = "required" so the UI knows which to ask for. An assertion that is sent
 * is always verified (and spent), even when the session alone would have been enough.
 */
export const assertRecentAuth = async (options: {
  tx: Db;
  actor: TUserActor;
  /** The assertion and its admission (admitStepUp, before the transaction). */
  stepUp?: { response: TAuthenticationResponse; admission: TStepUpAdmission };
  context?: TAuditContext;
}): Promise<TRecentAuth> => {
  const { tx, actor, stepUp, context } = options;
  if (stepUp) {
    const verified = await verifyStepUp({
      tx,
      admission: stepUp.admission,
      actor,
      purpose: "MANAGE_PASSKEYS",
      targetType: "user",
      targetId: actor.userId,
      response: stepUp.response,
      context,
    });
    return { method: "passkey", ...verified };
  }
  const requirement = await requirementIn(tx, actor, currentTime());
  if (requirement === "none") return { method: "recent_sign_in" };
  throw requirement === "passkey" ? stepUpRequired() : reauthRequired();
};
