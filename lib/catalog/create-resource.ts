import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { auditChange, invalidInput, lockCatalog, mapDatabaseError } from "./internal";
import { parseWith, type TResourceInput, ZResourceInput } from "./schemas";

/** Administrators: a new resource, with its `resource.create` event. */
export const createResource = async (options: {
  actor: TUserActor;
  input: TResourceInput;
  context?: TAuditContext;
}): Promise<{ id: string; key: string }> => {
  const { actor, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);
  const parsed = parseWith(ZResourceInput, options.input);
  if (parsed.data === undefined) throw invalidInput(parsed.issues);
  const input = parsed.data;
  const taken = `A resource with key "${input.key}" already exists.`;

  try {
    return await db.$transaction(async (tx) => {
      await lockCatalog(tx);
      const existing = await tx.resource.findUnique({ where: { key: input.key }, select: { archivedAt: true } });
      if (existing) {
        // Archived resources keep their key: grants and past requests still name it.
        const message = existing.archivedAt
          ? `A resource with key "${input.key}" exists and is archived; keys are never reused. Choose another key.`
          : taken;
        throw new AppError("CONFLICT", message, { key: message });
      }
      const created = await tx.resource.create({ data: input, select: { id: true, key: true } });
      await auditChange(tx, {
        actor,
        context,
        action: "resource.create",
        targetType: "resource",
        targetId: created.id,
        details: { key: input.key, after: input },
      });
      return created;
    });
  } catch (error) {
    throw mapDatabaseError(error, { unique: taken });
  }
};
