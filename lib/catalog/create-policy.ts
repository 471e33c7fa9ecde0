import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { auditChange, invalidInput, lockCatalog, mapDatabaseError } from "./internal";
import { parseWith, policyPermissionIssues, type TPolicyInput, ZPolicyInput } from "./schemas";

/** Administrators: a new policy on a resource, with its `policy.create` event. */
export const createPolicy = async (options: {
  actor: TUserActor;
  resourceKey: string;
  input: TPolicyInput;
  context?: TAuditContext;
}): Promise<{ id: string }> => {
  const { actor, resourceKey, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);
  const parsed = parseWith(ZPolicyInput, options.input);
  if (parsed.data === undefined) throw invalidInput(parsed.issues);
  const input = parsed.data;
  const taken = `Resource "${resourceKey}" already has a policy named "${input.name}".`;

  try {
    return await db.$transaction(async (tx) => {
      await lockCatalog(tx);
      const resource = await tx.resource.findUnique({
        where: { key: resourceKey },
        select: { id: true, key: true, permissions: true, archivedAt: true },
      });
      if (!resource) throw new AppError("NOT_FOUND", `No resource with key "${resourceKey}".`);
      if (resource.archivedAt)
        throw new AppError(
          "CONFLICT",
          `Resource "${resourceKey}" is archived; archived resources are kept as they were, for history.`,
        );
      const issues = policyPermissionIssues(input, resource);
      if (issues.length > 0) throw invalidInput(issues);
      const existing = await tx.accessPolicy.findUnique({
        where: { resourceId_name: { resourceId: resource.id, name: input.name } },
        select: { id: true },
      });
      if (existing) throw new AppError("CONFLICT", taken, { name: taken });

      const created = await tx.accessPolicy.create({
        data: { ...input, resourceId: resource.id },
        select: { id: true },
      });
      await auditChange(tx, {
        actor,
        context,
        action: "policy.create",
        targetType: "policy",
        targetId: created.id,
        details: { resourceKey, name: input.name, after: input },
      });
      return created;
    });
  } catch (error) {
    throw mapDatabaseError(error, { unique: taken });
  }
};
