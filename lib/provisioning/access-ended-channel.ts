/**
 * The PostgreSQL notification channel every revocation commits a notice on, with the grant's id
 * (lib/access/revoke-grant-in-transaction.ts): it wakes the workers' end-of-access timers, which
 * then read the grant and end its access in the targets at once (ADR 0060). A module of its own,
 * without imports, so the access code can name it without loading the connectors.
 */
export const ACCESS_ENDED_CHANNEL = "jit_access_ended";
