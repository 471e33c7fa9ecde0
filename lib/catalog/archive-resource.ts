import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { auditChange, lockCatalog } from "./internal";

/**
 * Administrators: archive a resource. It can no longer be requested (eligibility skips
 * archived resources) but stays, with its policies, for the history of its requests and
 * grants. Refused while requests for it are pending, so no decision lands on an archived
 * resource. Archiving twice changes nothing and records nothing.
 */
export const archiveResource = async (options: {
  actor: TUserActor;
  key: string;
  context?: TAuditContext;
  now?: Date;
}): Promise<{ archived: boolean }> => {
  const { actor, key, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);

  return db.$transaction(async (tx) => {
    await lockCatalog(tx);
    const resource = await tx.resource.findUnique({
      where: { key },
      select: { id: true, archivedAt: true, _count: { select: { policies: true } } },
    });
    if (!resource) throw new AppError("NOT_FOUND", `No resource with key "${key}".`);
    if (resource.archivedAt) return { archived: false };
    const pending = await tx.accessRequest.count({ where: { resourceId: resource.id, status: "PENDING" } });
    if (pending > 0) {
      throw new AppError(
        "CONFLICT",
        `Resource "${key}" has ${pending} pending request(s); they must be decided, cancelled or expire before it can be archived.`,
      );
    }
    const archivedAt = options.now ?? new Date();
    await tx.resource.update({ where: { id: resource.id }, data: { archivedAt } });
    await auditChange(tx, {
      actor,
      context,
      action: "resource.archive",
      targetType: "resource",
      targetId: resource.id,
      details: {
        key,
        changes: { archivedAt: { before: null, after: archivedAt.toISOString() } },
        policies: resource._count.policies,
      },
    });
    return { archived: true };
  });
};
