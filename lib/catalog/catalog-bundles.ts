/**
 * Bundles in the catalog document (ADR 0054). `bundles` is optional: absent, the bundles are
 * left as they are; present, it is their complete list (matched by name: created, updated,
 * deleted). Each item names a policy by resource key and policy name, checked against the
 * catalog as the import leaves it.
 */
import type { Db } from "../db";
import type { TImportError } from "./document";
import { formatPath, type TCatalogDocument, type TDocumentBundle } from "./schemas";

const byString =
  <T>(pick: (item: T) => string) =>
  (a: T, b: T) =>
    pick(a) < pick(b) ? -1 : pick(a) > pick(b) ? 1 : 0;

/** A bundle's items as rows: each policy found by resource key and policy name, in order. */
export const bundleItemRows = async (tx: Db, items: TDocumentBundle["items"]) => {
  const rows = [];
  for (const [position, item] of items.entries()) {
    const policy = await tx.accessPolicy.findFirstOrThrow({
      where: { name: item.policy, resource: { key: item.resource } },
      select: { id: true },
    });
    rows.push({ position, policyId: policy.id, permission: item.permission });
  }
  return rows;
};

/** What a resource offers a bundle item: its permissions and its policies'. */
export type TOfferingResource = { permissions: string[]; policies: Array<{ name: string; permissions: string[] }> };

/**
 * Why an item cannot be in a bundle, or null: its resource is not live, has no such policy, or
 * that policy (or the resource) does not offer the permission. Shared by the catalog import and
 * the administrators' bundle form, so both refuse the same items.
 */
export const bundleItemProblem = (
  item: TDocumentBundle["items"][number],
  resource: TOfferingResource | undefined,
): { field: "resource" | "policy" | "permission"; message: string } | null => {
  if (!resource) return { field: "resource", message: `no live resource "${item.resource}"` };
  const policy = resource.policies.find((candidate) => candidate.name === item.policy);
  if (!policy) return { field: "policy", message: `"${item.resource}" has no policy "${item.policy}"` };
  if (!policy.permissions.includes(item.permission) || !resource.permissions.includes(item.permission))
    return {
      field: "permission",
      message: `policy "${item.policy}" of "${item.resource}" does not offer "${item.permission}"`,
    };
  return null;
};

/** The bundles as the document carries them, by name. */
export const exportBundles = async (client: Db): Promise<TDocumentBundle[]> => {
  const rows = await client.bundle.findMany({
    include: {
      items: {
        orderBy: { position: "asc" },
        include: { policy: { include: { resource: { select: { key: true } } } } },
      },
    },
  });
  return rows.sort(byString((row) => row.name)).map((row) => ({
    name: row.name,
    description: row.description,
    items: row.items.map((item) => ({
      resource: item.policy.resource.key,
      permission: item.permission,
      policy: item.policy.name,
    })),
  }));
};

export type TBundlePlanEntry = { name: string; action: "create" | "update" | "delete" | "unchanged" };

export type TBundlePlan = {
  errors: TImportError[];
  entries: TBundlePlanEntry[];
  /** Before the policy writes: deletes bundles and the items of changed ones, so no policy is held. */
  detach: (tx: Db) => Promise<void>;
  /** After every other write: creates bundles and (re)creates items against the final policies. */
  attach: (tx: Db) => Promise<void>;
};

const same = (a: TDocumentBundle, b: TDocumentBundle) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The bundles' part of an import. Errors: an item whose resource, policy or permission the
 * imported catalog won't have; without `bundles` in the document, a policy the import
 * deletes while a bundle still names it.
 */
export const planBundles = async (
  client: Db,
  options: { document: TCatalogDocument; file: string },
): Promise<TBundlePlan> => {
  const { document, file } = options;
  const errors: TImportError[] = [];
  const nothing = async () => undefined;
  const inDocument = new Map(document.resources.map((resource) => [resource.key, resource]));
  if (document.bundles === undefined) {
    const held = await client.bundleItem.findMany({
      where: { policy: { resource: { key: { in: [...inDocument.keys()] } } } },
      select: {
        bundle: { select: { name: true } },
        policy: { select: { name: true, resource: { select: { key: true } } } },
      },
    });
    // A policy missing from its resource's list in the document is deleted by the import.
    const deleted = held.filter(
      (item) => !inDocument.get(item.policy.resource.key)?.policies.some((policy) => policy.name === item.policy.name),
    );
    for (const item of deleted)
      errors.push({
        file,
        path: "bundles",
        message: `policy "${item.policy.name}" of "${item.policy.resource.key}" would be deleted, but the bundle "${item.bundle.name}" names it; change the bundle in the document too`,
      });
    return { errors, entries: [], detach: nothing, attach: nothing };
  }

  // The policies the catalog will have: the document's for its resources, the database's for the rest.
  const named = [...new Set(document.bundles.flatMap((bundle) => bundle.items.map((item) => item.resource)))];
  const stored = await client.resource.findMany({
    where: { key: { in: named.filter((key) => !inDocument.has(key)) }, archivedAt: null },
    select: { key: true, permissions: true, policies: { select: { name: true, permissions: true } } },
  });
  const storedByKey = new Map(stored.map((resource) => [resource.key, resource]));
  document.bundles.forEach((bundle, index) =>
    bundle.items.forEach((item, at) => {
      const problem = bundleItemProblem(item, inDocument.get(item.resource) ?? storedByKey.get(item.resource));
      if (problem)
        errors.push({
          file,
          path: formatPath(["bundles", index, "items", at, problem.field]),
          message: problem.message,
        });
    }),
  );

  const current = new Map((await exportBundles(client)).map((bundle) => [bundle.name, bundle]));
  const ids = new Map(
    (await client.bundle.findMany({ select: { id: true, name: true } })).map((row) => [row.name, row.id]),
  );
  const wanted = new Set(document.bundles.map((bundle) => bundle.name));
  const entries: TBundlePlanEntry[] = [
    ...document.bundles.map((bundle): TBundlePlanEntry => {
      const existing = current.get(bundle.name);
      return { name: bundle.name, action: !existing ? "create" : same(existing, bundle) ? "unchanged" : "update" };
    }),
    ...[...current.keys()].filter((name) => !wanted.has(name)).map((name) => ({ name, action: "delete" as const })),
  ];
  const changed = (action: TBundlePlanEntry["action"]) =>
    entries.filter((entry) => entry.action === action).map((entry) => entry.name);

  return {
    errors,
    entries,
    detach: async (tx) => {
      const deleted = changed("delete").map((name) => ids.get(name) ?? "");
      if (deleted.length > 0) await tx.bundle.deleteMany({ where: { id: { in: deleted } } });
      const updated = changed("update").map((name) => ids.get(name) ?? "");
      if (updated.length > 0) await tx.bundleItem.deleteMany({ where: { bundleId: { in: updated } } });
    },
    attach: async (tx) => {
      for (const bundle of document.bundles ?? []) {
        const action = entries.find((entry) => entry.name === bundle.name)?.action;
        if (action !== "create" && action !== "update") continue;
        const items = await bundleItemRows(tx, bundle.items);
        const id = ids.get(bundle.name);
        if (id)
          await tx.bundle.update({
            where: { id },
            data: { description: bundle.description, items: { create: items } },
          });
        else
          await tx.bundle.create({
            data: { name: bundle.name, description: bundle.description, items: { create: items } },
          });
      }
    },
  };
};
