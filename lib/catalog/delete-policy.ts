import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { auditChange, lockCatalog, mapDatabaseError, policyValues } from "./internal";

export const PENDING_REFUSAL = (name: string, pending: number) =>
  `Policy "${name}" has ${pending} pending request(s); they must be decided, cancelled or expire before it can be deleted.`;

// AccessRequest.policyId is ON DELETE RESTRICT: a decided request keeps pointing at the
// policy it was decided under, so such a policy can't be deleted without erasing history.
export const HISTORY_REFUSAL = (name: string, total: number) =>
  `Policy "${name}" is referenced by ${total} past request(s), kept for history, so it can't be deleted. Change it instead, or archive the resource.`;

/** Administrators: delete a policy no request refers to, with its `policy.delete` event. */
export const deletePolicy = async (options: {
  actor: TUserActor;
  policyId: string;
  context?: TAuditContext;
}): Promise<{ resourceKey: string; name: string }> => {
  const { actor, policyId, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);

  try {
    return await db.$transaction(async (tx) => {
      await lockCatalog(tx);
      const policy = await tx.accessPolicy.findUnique({
        where: { id: policyId },
        include: { resource: { select: { key: true, archivedAt: true } } },
      });
      if (!policy) throw new AppError("NOT_FOUND", "No such policy.");
      const { resource } = policy;
      if (resource.archivedAt)
        throw new AppError(
          "CONFLICT",
          `Resource "${resource.key}" is archived; archived resources are kept as they were, for history.`,
        );
      const pending = await tx.accessRequest.count({ where: { policyId, status: "PENDING" } });
      if (pending > 0) throw new AppError("CONFLICT", PENDING_REFUSAL(policy.name, pending));
      const total = await tx.accessRequest.count({ where: { policyId } });
      if (total > 0) throw new AppError("CONFLICT", HISTORY_REFUSAL(policy.name, total));

      await tx.accessPolicy.delete({ where: { id: policyId } });
      await auditChange(tx, {
        actor,
        context,
        action: "policy.delete",
        targetType: "policy",
        targetId: policy.id,
        details: { resourceKey: resource.key, name: policy.name, before: policyValues(policy) },
      });
      return { resourceKey: resource.key, name: policy.name };
    });
  } catch (error) {
    // A request filed between our count and the delete: the foreign key refuses it.
    throw mapDatabaseError(error, { referenced: "Requests refer to this policy now; it can't be deleted." });
  }
};
