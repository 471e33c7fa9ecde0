/**
 * Bundles on the administrators' page (/admin/bundles): the same rules as the catalog
 * document's `bundles` (ADR 0054), one bundle at a time, each change audited in its own
 * transaction under the catalog lock.
 */
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db, type Db } from "../db";
import { AppError } from "../errors";
import { storableText } from "../storable-text";
import { bundleItemProblem, bundleItemRows, type TOfferingResource } from "./catalog-bundles";
import { auditChange, lockCatalog, mapDatabaseError } from "./internal";
import { parseWith, type TDocumentBundle, ZDocumentBundle } from "./schemas";

type TItem = TDocumentBundle["items"][number];

/** The items field's format, one per line: `resource-key policy name permission`. */
export const BUNDLE_ITEM_FORMAT = "resource-key policy-name permission";

/**
 * Items from the form's text, one per line: the resource key first and the permission last
 * (neither may hold a space), the policy's name between them as written, since a name may
 * hold spaces, even two in a row. Blank lines are skipped; a line with fewer than three words
 * is an issue naming its line number.
 */
export const parseBundleItems = (text: string): { items: TItem[]; lines: number[]; problems: string[] } => {
  const items: TItem[] = [];
  const lines: number[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    const words = line.split(/\s+/);
    const resource = words[0] ?? "";
    const permission = words.at(-1) ?? "";
    if (words.length < 3) {
      problems.push(`line ${index + 1}: write "${BUNDLE_ITEM_FORMAT}"`);
      return;
    }
    const policy = line.slice(resource.length, line.length - permission.length).trim();
    items.push({ resource, policy, permission });
    lines.push(index + 1);
  });
  return { items, lines, problems };
};

/** The items as the form shows them, one per line. */
export const bundleItemsText = (items: readonly TItem[]): string =>
  items.map((item) => `${item.resource} ${item.policy} ${item.permission}`).join("\n");

export type TBundleFormInput = { id?: string; name: string; description: string; items: string };

export type TAdminBundle = {
  id: string;
  name: string;
  description: string;
  items: TItem[];
  submissions: number;
};

/** Every bundle with its items, for the administrators' page. */
export const listBundlesForAdmin = async (actor: TUserActor, context?: TAuditContext): Promise<TAdminBundle[]> => {
  await assertCan(actor, "catalog.manage", undefined, context);
  const rows = await db.bundle.findMany({
    orderBy: { name: "asc" },
    include: {
      items: {
        orderBy: { position: "asc" },
        include: { policy: { include: { resource: { select: { key: true } } } } },
      },
      _count: { select: { submissions: true } },
    },
  });
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    description: row.description,
    items: row.items.map((item) => ({
      resource: item.policy.resource.key,
      policy: item.policy.name,
      permission: item.permission,
    })),
    submissions: row._count.submissions,
  }));
};

const invalid = (fields: Record<string, string>) =>
  new AppError("INVALID_INPUT", "Some fields need attention.", fields);

/** Each item's problem against the live catalog, by its line in the form. */
const itemProblems = async (tx: Db, items: TItem[], lines: number[]): Promise<string[]> => {
  const resources = await tx.resource.findMany({
    where: { key: { in: [...new Set(items.map((item) => item.resource))] }, archivedAt: null },
    select: { key: true, permissions: true, policies: { select: { name: true, permissions: true } } },
  });
  const byKey = new Map<string, TOfferingResource>(resources.map((resource) => [resource.key, resource]));
  return items.flatMap((item, index) => {
    const problem = bundleItemProblem(item, byKey.get(item.resource));
    return problem ? [`line ${lines[index]}: ${problem.message}`] : [];
  });
};

/**
 * Creates a bundle (no `id`) or replaces one's name, description and items. Administrators
 * only. Its submissions keep their requests and the bundle's name at submission.
 */
export const saveBundle = async (options: {
  actor: TUserActor;
  input: TBundleFormInput;
  context?: TAuditContext;
}): Promise<{ id: string }> => {
  const { actor, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);
  // As the catalog document's text is: nothing PostgreSQL cannot store (ADR 0029).
  const input = {
    ...options.input,
    name: storableText(options.input.name),
    description: storableText(options.input.description),
    items: storableText(options.input.items),
  };
  const { items, lines, problems } = parseBundleItems(input.items);
  if (problems.length > 0) throw invalid({ items: problems.join("; ") });
  const parsed = parseWith(ZDocumentBundle, { name: input.name, description: input.description, items });
  if (parsed.data === undefined) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.issues) {
      const [field, index] = issue.path;
      const line = typeof index === "number" ? `line ${lines[index] ?? index + 1}: ` : "";
      fields[String(field ?? "form")] ??= `${line}${issue.message}`;
    }
    throw invalid(fields);
  }
  const bundle = parsed.data;
  const taken = `A bundle named "${bundle.name}" already exists.`;

  try {
    return await db.$transaction(async (tx) => {
      await lockCatalog(tx);
      const problemsNow = await itemProblems(tx, bundle.items, lines);
      if (problemsNow.length > 0) throw invalid({ items: problemsNow.join("; ") });
      const clash = await tx.bundle.findUnique({ where: { name: bundle.name }, select: { id: true } });
      if (clash && clash.id !== input.id) throw new AppError("CONFLICT", taken, { name: taken });
      const rows = await bundleItemRows(tx, bundle.items);
      const data = { name: bundle.name, description: bundle.description };
      if (!input.id) {
        const created = await tx.bundle.create({ data: { ...data, items: { create: rows } }, select: { id: true } });
        await auditChange(tx, {
          actor,
          context,
          action: "bundle.create",
          targetType: "bundle",
          targetId: created.id,
          details: { after: bundle },
        });
        return created;
      }
      const before = await tx.bundle.findUnique({
        where: { id: input.id },
        include: {
          items: {
            orderBy: { position: "asc" },
            include: { policy: { include: { resource: { select: { key: true } } } } },
          },
        },
      });
      if (!before) throw new AppError("NOT_FOUND", "No such bundle.");
      await tx.bundleItem.deleteMany({ where: { bundleId: before.id } });
      await tx.bundle.update({ where: { id: before.id }, data: { ...data, items: { create: rows } } });
      await auditChange(tx, {
        actor,
        context,
        action: "bundle.update",
        targetType: "bundle",
        targetId: before.id,
        details: {
          before: {
            name: before.name,
            description: before.description,
            items: before.items.map((item) => ({
              resource: item.policy.resource.key,
              permission: item.permission,
              policy: item.policy.name,
            })),
          },
          after: bundle,
        },
      });
      return { id: before.id };
    });
  } catch (error) {
    throw mapDatabaseError(error, { unique: taken });
  }
};

/** Deletes a bundle; its past submissions keep their requests and its name. Administrators only. */
export const deleteBundle = async (options: {
  actor: TUserActor;
  id: string;
  context?: TAuditContext;
}): Promise<void> => {
  const { actor, id, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);
  await db.$transaction(async (tx) => {
    await lockCatalog(tx);
    const bundle = await tx.bundle.findUnique({ where: { id }, select: { id: true, name: true } });
    if (!bundle) throw new AppError("NOT_FOUND", "No such bundle.");
    await tx.bundle.delete({ where: { id } });
    await auditChange(tx, {
      actor,
      context,
      action: "bundle.delete",
      targetType: "bundle",
      targetId: id,
      details: { name: bundle.name },
    });
  });
};
