import type { TAuditEventInput } from "../audit";
import type { TDirectoryActor, TScimContext } from "./authenticate";

/** One audit event with the directory connection as its actor (actorType DIRECTORY). */
export const directoryEvent = (
  actor: TDirectoryActor,
  action: string,
  target: { type: string; id: string },
  context: TScimContext,
  details: Record<string, unknown> = {},
  reason: string | null = null,
): TAuditEventInput => ({
  actorType: "DIRECTORY",
  actorId: actor.connectionId,
  action,
  targetType: target.type,
  targetId: target.id,
  outcome: "ALLOWED",
  reason,
  details: { directory: actor.name, tokenId: actor.tokenId, ...details },
  ip: context.ip,
  userAgent: context.userAgent,
  requestId: context.requestId,
});

/** The entity that `revokeGrantInTransaction` and `endAccessOfUser` name as having acted. */
export const directoryAccessActor = (actor: TDirectoryActor) => ({
  actorType: "DIRECTORY" as const,
  userId: actor.connectionId,
  name: `the directory ${actor.name}`,
});
