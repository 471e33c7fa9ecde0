import { AppError } from "../errors";

/**
 * Why a passkey ceremony was refused, as `fields.stepUp` (step-ups) or `fields.passkey`
 * (registration) of a FORBIDDEN AppError, so callers and the UI can react without parsing
 * messages. "required" is not a failure: it asks for a step-up assertion.
 */
export type TCeremonyRefusal =
  | "required"
  | "malformed"
  | "unknown_challenge"
  | "wrong_user"
  | "wrong_purpose"
  | "wrong_target"
  | "used"
  | "expired"
  | "unknown_passkey"
  | "origin"
  | "rp_id"
  | "user_verification"
  | "counter"
  | "signature"
  | "concurrent"
  | "invalid";

export const MESSAGES: Record<TCeremonyRefusal, string> = {
  required: "Confirm with one of your passkeys first.",
  malformed: "The passkey response is malformed.",
  unknown_challenge: "This passkey prompt was not issued by the portal, or it has been cleaned up. Try again.",
  wrong_user: "This passkey prompt was issued to someone else.",
  wrong_purpose: "This passkey prompt was issued for a different action. Try again.",
  wrong_target: "This passkey prompt was issued for a different item. Try again.",
  used: "This passkey prompt was already used. Try again.",
  expired: "This passkey prompt expired. Try again.",
  unknown_passkey: "That passkey is not registered to your account.",
  origin: "The passkey response came from another website.",
  rp_id: "The passkey response was made for another website.",
  user_verification: "Your device did not verify you (PIN, fingerprint or face). Passkey confirmations need it.",
  counter:
    "That passkey's signature counter went backwards, which is what a cloned key looks like. The confirmation was refused.",
  signature: "The passkey signature did not verify.",
  concurrent: "That passkey was used for two confirmations at once. Try again.",
  invalid: "The passkey response could not be verified.",
};

/** A step-up refusal: FORBIDDEN with `fields.stepUp` = the reason. */
export const stepUpRefused = (reason: TCeremonyRefusal): AppError =>
  new AppError("FORBIDDEN", MESSAGES[reason], { stepUp: reason });

/** A registration refusal: FORBIDDEN with `fields.passkey` = the reason. */
export const registrationRefused = (reason: TCeremonyRefusal): AppError =>
  new AppError("FORBIDDEN", reason === "invalid" ? "The new passkey could not be verified." : MESSAGES[reason], {
    passkey: reason,
  });

/**
 * simplewebauthn reports every failed check as a plain Error; sort the ones a person can act
 * on from the rest. Anything unrecognised is "invalid": still a refusal, never a 500.
 */
export const classifyVerificationError = (error: unknown): TCeremonyRefusal => {
  const message = error instanceof Error ? `${error.name} ${error.message}` : "";
  if (/origin/i.test(message)) return "origin";
  if (/RP ?ID/i.test(message)) return "rp_id";
  if (/user verification|user could not be verified/i.test(message)) return "user_verification";
  if (/counter/i.test(message)) return "counter";
  if (/challenge/i.test(message)) return "unknown_challenge";
  return "invalid";
};
