/**
 * The Security Event Token events the receiver acts on (CAEP and RISC, OpenID Shared Signals),
 * and the subject identifiers it understands (RFC 9493: iss_sub, email, opaque).
 */
import { z } from "zod";

export const CAEP = "https://schemas.openid.net/secevent/caep/event-type/";
export const RISC = "https://schemas.openid.net/secevent/risc/event-type/";

export const SIGNAL_EVENTS = {
  [`${CAEP}session-revoked`]: "session_revoked",
  [`${CAEP}credential-change`]: "credential_change",
  [`${CAEP}assurance-level-change`]: "assurance_level_change",
  [`${CAEP}device-compliance-change`]: "device_compliance_change",
  [`${RISC}account-disabled`]: "account_disabled",
} as const;
export type TSignalKind = (typeof SIGNAL_EVENTS)[keyof typeof SIGNAL_EVENTS];

export const signalKindOf = (uri: string): TSignalKind | "unknown" =>
  Object.hasOwn(SIGNAL_EVENTS, uri) ? SIGNAL_EVENTS[uri as keyof typeof SIGNAL_EVENTS] : "unknown";

const ZText = z.string().min(1).max(500);

export const ZSubjectId = z.discriminatedUnion("format", [
  z.object({ format: z.literal("iss_sub"), iss: ZText, sub: ZText }),
  z.object({ format: z.literal("email"), email: ZText }),
  z.object({ format: z.literal("opaque"), id: ZText }),
]);
export type TSubjectId = z.infer<typeof ZSubjectId>;

/**
 * The person a SET speaks of: the top-level `sub_id` (SSF 1.0), or the event's `subject`
 * (CAEP drafts, as Okta sends), where a `complex` subject's `user` member names the person.
 * Anything else (a device, a session only, an unknown format) is null: no person to act on.
 */
export const subjectOf = (subId: unknown, eventSubject: unknown): TSubjectId | null => {
  for (const candidate of [subId, eventSubject]) {
    if (!candidate || typeof candidate !== "object") continue;
    const direct = ZSubjectId.safeParse(candidate);
    if (direct.success) return direct.data;
    const user = ZSubjectId.safeParse((candidate as { user?: unknown }).user);
    if (user.success) return user.data;
  }
  return null;
};

/** The members of an event the receiver reads; the rest is kept in the audit as it came. */
export const ZEventPayload = z
  .object({
    subject: z.unknown().optional(),
    event_timestamp: z.number().finite().nonnegative().optional(),
    current_status: z.string().max(100).optional(),
    change_direction: z.string().max(100).optional(),
    reason_admin: z.unknown().optional(),
  })
  .passthrough();
export type TEventPayload = z.infer<typeof ZEventPayload>;
