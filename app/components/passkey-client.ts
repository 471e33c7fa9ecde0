/**
 * Browser helpers for passkey ceremonies, for client components only (they call
 * navigator.credentials through @simplewebauthn/browser). They never throw for what a person
 * can cause (cancelling, a timeout, an unsupported browser, the wrong device): they return
 * `{ ok: false, message }` with a sentence to show in a role="alert" region.
 *
 *   const started = await startSomethingAction(...);            // options from the server
 *   const confirmed = await confirmWithPasskey(started.options);
 *   if (!confirmed.ok) return show(confirmed.message);
 *   await finishSomethingAction({ ..., assertion: confirmed.response });
 */
import {
  type AuthenticationResponseJSON,
  browserSupportsWebAuthn,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  startAuthentication,
  startRegistration,
} from "@simplewebauthn/browser";

export type TCeremonyResult<T> = { ok: true; response: T } | { ok: false; message: string; cancelled: boolean };

type TCeremony = "create" | "confirm";

const UNSUPPORTED = "This browser cannot use passkeys. Use a current version of Chrome, Edge, Firefox or Safari.";

/** A person-readable sentence for whatever a ceremony threw, and whether they simply cancelled. */
export const describePasskeyError = (error: unknown, ceremony: TCeremony): { message: string; cancelled: boolean } => {
  const { name, code } = (typeof error === "object" && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
  };
  switch (code) {
    case "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED":
      return {
        message: "This device already holds a passkey for your account. Use another device or password manager.",
        cancelled: false,
      };
    case "ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT":
      return {
        message:
          "This authenticator cannot verify you with a PIN or biometrics, which the portal requires. Use another one.",
        cancelled: false,
      };
    case "ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG":
      return {
        message: "This authenticator supports none of the portal's key types. Use another one.",
        cancelled: false,
      };
    case "ERROR_INVALID_DOMAIN":
    case "ERROR_INVALID_RP_ID":
      return {
        message: "Passkeys are not set up for this address of the portal. Open the portal at its usual address.",
        cancelled: false,
      };
    case "ERROR_CEREMONY_ABORTED":
      return { message: "The passkey prompt was interrupted. Try again.", cancelled: true };
    default:
      break;
  }
  switch (name) {
    case "NotAllowedError":
      // Cancelled, timed out, or (for "confirm") no passkey of this account on the device:
      // browsers deliberately do not say which.
      return {
        message:
          ceremony === "create"
            ? "The passkey was not created: the prompt was cancelled or timed out. Try again when ready."
            : "The passkey prompt was cancelled or timed out, or this device has none of your passkeys. Try again, or use the device that holds your passkey.",
        cancelled: true,
      };
    case "AbortError":
      return { message: "The passkey prompt was interrupted. Try again.", cancelled: true };
    case "InvalidStateError":
      return { message: "This device already holds a passkey for your account.", cancelled: false };
    case "SecurityError":
      return {
        message:
          "The browser refused passkeys on this page (it needs HTTPS or localhost, at the portal's usual address).",
        cancelled: false,
      };
    case "NotSupportedError":
      return { message: UNSUPPORTED, cancelled: false };
    default:
      return { message: "The passkey prompt failed. Try again.", cancelled: false };
  }
};

const ceremony = async <T>(kind: TCeremony, run: () => Promise<T>): Promise<TCeremonyResult<T>> => {
  if (!browserSupportsWebAuthn()) return { ok: false, message: UNSUPPORTED, cancelled: false };
  try {
    return { ok: true, response: await run() };
  } catch (error) {
    return { ok: false, ...describePasskeyError(error, kind) };
  }
};

/** Creates a passkey from registration options issued by the server. */
export const createPasskey = (
  optionsJSON: PublicKeyCredentialCreationOptionsJSON,
): Promise<TCeremonyResult<RegistrationResponseJSON>> => ceremony("create", () => startRegistration({ optionsJSON }));

/** Confirms a step-up (an approval, a denial, a passkey change) with an existing passkey. */
export const confirmWithPasskey = (
  optionsJSON: PublicKeyCredentialRequestOptionsJSON,
): Promise<TCeremonyResult<AuthenticationResponseJSON>> =>
  ceremony("confirm", () => startAuthentication({ optionsJSON }));
