/**
 * Passkeys (WebAuthn): registration, listing and removal of a person's own passkeys, and
 * step-up confirmations bound to one decision (DESIGN invariant 4).
 *
 * Step-up in another domain function:
 *   browser: options = startStepUp({ actor, purpose: "APPROVE", targetType: "request", targetId })
 *            response = await confirmWithPasskey(options)          (app/components/passkey-client.ts)
 *   server:  const admission = await admitStepUp({ actor, context })   (rate limits, before the transaction)
 *            db.$transaction(async (tx) => {
 *              const { passkeyId, challengeId } = await verifyStepUp({ tx, admission, actor, purpose: "APPROVE", targetType: "request", targetId, response });
 *              ... write the decision with passkeyId and challengeId ...
 *            })   and on a thrown AppError, recordStepUpRefusal(...) after the rollback.
 */
export { CHALLENGE_TTL_MS, RECENT_SIGN_IN_MS, PASSKEY_NAME_MAX, relyingParty, type TRelyingParty } from "./config";
export { finishPasskeyRegistration, type TFinishPasskeyRegistration } from "./finish-passkey-registration";
export { listPasskeys, type TPasskeyRow } from "./list-passkeys";
export { getReauthRequirement, type TReauthRequirement } from "./recent-auth";
export { recordStepUpRefusal } from "./record-refusal";
export type { TCeremonyRefusal } from "./refusals";
export { removePasskey } from "./remove-passkey";
export {
  STEP_UP_PURPOSES,
  type TAuthenticationResponse,
  type TRegistrationResponse,
  type TStepUpPurpose,
  ZAuthenticationResponse,
  ZPasskeyName,
  ZRegistrationResponse,
  ZStepUpPurpose,
} from "./schemas";
export { startAddPasskey } from "./start-add-passkey";
export { startPasskeyRegistration } from "./start-passkey-registration";
export { startStepUp } from "./start-step-up";
export {
  admitStepUp,
  type TStepUpAdmission,
  type TStepUpResult,
  type TVerifyStepUp,
  verifyStepUp,
} from "./verify-step-up";
