import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { auditChange, diffFields, invalidInput, lockCatalog, mapDatabaseError, POLICY_FIELDS } from "./internal";
import { parseWith, policyPermissionIssues, type TPolicyInput, ZPolicyInput } from "./schemas";

/**
 * Administrators: replace a policy's settings (its name included). Records `policy.update`
 * with before and after of each changed field; no change, no event. Pending requests are
 * decided under the new rules.
 */
export const updatePolicy = async (options: {
  actor: TUserActor;
  policyId: string;
  input: TPolicyInput;
  context?: TAuditContext;
}): Promise<{ changed: boolean }> => {
  const { actor, policyId, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);
  const parsed = parseWith(ZPolicyInput, options.input);
  if (parsed.data === undefined) throw invalidInput(parsed.issues);
  const input = parsed.data;

  try {
    return await db.$transaction(async (tx) => {
      await lockCatalog(tx);
      const policy = await tx.accessPolicy.findUnique({
        where: { id: policyId },
        include: { resource: { select: { id: true, key: true, permissions: true, archivedAt: true } } },
      });
      if (!policy) throw new AppError("NOT_FOUND", "No such policy.");
      const { resource } = policy;
      if (resource.archivedAt)
        throw new AppError(
          "CONFLICT",
          `Resource "${resource.key}" is archived; archived resources are kept as they were, for history.`,
        );
      const issues = policyPermissionIssues(input, resource);
      if (issues.length > 0) throw invalidInput(issues);
      if (input.name !== policy.name) {
        const clash = await tx.accessPolicy.findUnique({
          where: { resourceId_name: { resourceId: resource.id, name: input.name } },
          select: { id: true },
        });
        if (clash) {
          const message = `Resource "${resource.key}" already has a policy named "${input.name}".`;
          throw new AppError("CONFLICT", message, { name: message });
        }
      }

      const changes = diffFields(POLICY_FIELDS, policy, input);
      if (Object.keys(changes).length === 0) return { changed: false };
      await tx.accessPolicy.update({ where: { id: policy.id }, data: input });
      await auditChange(tx, {
        actor,
        context,
        action: "policy.update",
        targetType: "policy",
        targetId: policy.id,
        details: { resourceKey: resource.key, name: policy.name, changes },
      });
      return { changed: true };
    });
  } catch (error) {
    throw mapDatabaseError(error, { unique: `That resource already has a policy named "${input.name}".` });
  }
};
