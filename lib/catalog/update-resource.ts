import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { auditChange, diffFields, invalidInput, lockCatalog, RESOURCE_FIELDS } from "./internal";
import { parseWith, type TIssue, type TResourceUpdateInput, ZResourceUpdate } from "./schemas";

/**
 * Administrators: change a resource's name, description, environment or permissions (its
 * key is fixed). A permission still offered by one of its policies can't be removed.
 * Records `resource.update` with before and after of each changed field; no change, no event.
 */
export const updateResource = async (options: {
  actor: TUserActor;
  key: string;
  input: TResourceUpdateInput;
  context?: TAuditContext;
}): Promise<{ changed: boolean }> => {
  const { actor, key, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);
  const parsed = parseWith(ZResourceUpdate, options.input);
  if (parsed.data === undefined) throw invalidInput(parsed.issues);
  const input = parsed.data;

  return db.$transaction(async (tx) => {
    await lockCatalog(tx);
    const resource = await tx.resource.findUnique({
      where: { key },
      include: { policies: { select: { name: true, permissions: true } } },
    });
    if (!resource) throw new AppError("NOT_FOUND", `No resource with key "${key}".`);
    if (resource.archivedAt)
      throw new AppError(
        "CONFLICT",
        `Resource "${key}" is archived; archived resources are kept as they were, for history.`,
      );

    const issues: TIssue[] = resource.policies.flatMap((policy) =>
      policy.permissions
        .filter((permission) => !input.permissions.includes(permission))
        .map((permission) => ({
          path: ["permissions"],
          message: `"${permission}" is offered by policy "${policy.name}"; change or delete that policy first`,
        })),
    );
    if (issues.length > 0) throw invalidInput(issues);

    const changes = diffFields(RESOURCE_FIELDS, resource, input);
    if (Object.keys(changes).length === 0) return { changed: false };
    await tx.resource.update({ where: { id: resource.id }, data: input });
    await auditChange(tx, {
      actor,
      context,
      action: "resource.update",
      targetType: "resource",
      targetId: resource.id,
      details: { key, changes },
    });
    return { changed: true };
  });
};
