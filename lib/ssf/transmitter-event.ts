import type { TAuditEventInput } from "../audit";
import type { TRevokingActor } from "../access/revoke-grant-in-transaction";

/** The transmitter that sent a verified SET, and that SET's jti: the actor of what it causes. */
export type TTransmitterActor = { transmitterId: string; name: string; jti: string };
export type TSignalContext = { ip: string | null; userAgent: string | null; requestId: string | null };

/** One audit event with the transmitter as its actor (actorType TRANSMITTER, ADR 0040). */
export const transmitterEvent = (
  actor: TTransmitterActor,
  action: string,
  target: { type: string; id: string } | null,
  context: TSignalContext,
  details: Record<string, unknown> = {},
  reason: string | null = null,
): TAuditEventInput => ({
  actorType: "TRANSMITTER",
  actorId: actor.transmitterId,
  action,
  targetType: target?.type ?? null,
  targetId: target?.id ?? null,
  outcome: "ALLOWED",
  reason,
  details: { transmitter: actor.name, jti: actor.jti, ...details },
  ...context,
});

/** The entity that `endAccessOfUser` and `revokeGrantInTransaction` name as having acted. */
export const transmitterAccessActor = (actor: TTransmitterActor): TRevokingActor => ({
  actorType: "TRANSMITTER",
  userId: actor.transmitterId,
  name: `the identity provider's signal (${actor.name})`,
});
