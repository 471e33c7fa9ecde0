import { getConfig } from "../config";

/** The relying party: its ID (a registrable domain), display name and the one origin it serves. */
export type TRelyingParty = { rpId: string; rpName: string; origin: string };

export const relyingParty = (): TRelyingParty => getConfig().webauthn;

/** A challenge (registration or step-up) is good for this long, and the browser prompt times out with it. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/**
 * Adding a passkey, or removing the last one, needs a sign-in this recent, or else an
 * assertion with an existing passkey: a session cookie alone (stolen, or left open on a
 * shared machine) must not be enough to plant a credential that approves access.
 */
export const RECENT_SIGN_IN_MS = 10 * 60_000;

/** Live (unused, unexpired) challenges one person may hold at once; a cap on table growth. */
export const MAX_LIVE_CHALLENGES = 50;

export const PASSKEY_NAME_MAX = 60;
