import type { TUserActor } from "../authz";
import { db } from "../db";
import { extensionHeadroomMinutes } from "./apply-extension";
import { grantStatus } from "./grant-status";

/** The actor's own live grant, with how much more time its policy allows; null otherwise. */
export const getExtendableGrant = async (options: { actor: TUserActor; grantId: string; now?: Date }) => {
  const now = options.now ?? new Date();
  const grant = await db.grant.findFirst({
    where: { id: options.grantId, subjectId: options.actor.userId },
    include: {
      resource: { select: { name: true } },
      request: { include: { policy: { select: { maxDurationMinutes: true, minJustificationLength: true } } } },
    },
  });
  if (!grant || !grant.request || grantStatus(grant, now) !== "active") return null;
  return {
    id: grant.id,
    resourceName: grant.resource.name,
    permissions: grant.permissions,
    expiresAt: grant.expiresAt,
    headroom: extensionHeadroomMinutes(grant, grant.request.policy.maxDurationMinutes),
    minJustification: grant.request.policy.minJustificationLength,
  };
};
