/**
 * Import of a catalog document (see export-catalog.ts for its shape).
 *
 * Semantics, chosen so that a document kept in git can be applied again and again:
 * - Resources are matched by key, policies by (resource key, policy name): missing ones are
 *   created, differing ones updated, equal ones left unchanged.
 * - A resource's `policies` in the document is its complete list: a policy in the database
 *   but not in the document, for a resource that is in the document, is deleted. If requests
 *   refer to such a policy (pending ones, or past ones kept for history), the whole import
 *   is refused and each such policy is listed.
 * - Resources missing from the document are left alone, neither changed nor archived
 *   (archiving is a deliberate act in the admin area; a partial document must not silently
 *   retire resources). The result lists them under `leftAlone`.
 * - An archived resource can't be changed by import: naming its key is an error.
 *
 * The document is checked completely (syntax, every field, cross-field rules, and the
 * conflicts above) before anything is written; every problem is reported at once. An apply
 * then plans and writes in ONE transaction, under the catalog lock, with one
 * `catalog.import` audit event; a dry run shows the same plan and writes nothing.
 */
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { type Db, db, type Prisma } from "../db";
import {
  type TCatalogFormat,
  type TImportError,
  inferFormat,
  parseCatalogSource,
  validateCatalogDocument,
} from "./document";
import {
  auditChange,
  connectorValues,
  diffFields,
  lockCatalog,
  mapDatabaseError,
  POLICY_FIELDS,
  policyValues,
  RESOURCE_FIELDS,
  sameConnector,
  type TFieldChange,
} from "./internal";
import { planBundles } from "./catalog-bundles";
import { formatPath, policyFields, type TCatalogDocument, ZResourceKey } from "./schemas";

export type TImportMode = "dry-run" | "apply";
export type TPlanAction = "create" | "update" | "delete" | "unchanged";
export type TPlanEntry = {
  kind: "resource" | "policy" | "connector" | "bundle";
  /** Empty for a bundle. */
  resourceKey: string;
  policyName?: string;
  bundleName?: string;
  connectorName?: string;
  action: TPlanAction;
  /** For updates: each changed field, before and after. */
  changes?: Record<string, TFieldChange>;
  /** For creates, the new values; for deletes, the old ones. */
  values?: Record<string, unknown>;
};
export type TPlanCounts = Record<TPlanAction, number>;
export type TImportPlan = {
  resources: TPlanCounts;
  policies: TPlanCounts;
  connectors: TPlanCounts;
  bundles: TPlanCounts;
  entries: TPlanEntry[];
  /** Keys of live resources the document doesn't mention: left as they are. */
  leftAlone: string[];
};
export type TImportResult =
  | { ok: true; mode: TImportMode; format: TCatalogFormat; applied: boolean; plan: TImportPlan; message: string }
  | { ok: false; mode: TImportMode; format: TCatalogFormat; errors: TImportError[]; message: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What the database checks need, read leniently so they run even on an invalid document. */
type TShape = { index: number; key: string; policyNames: string[] | null };

const shapesOf = (data: unknown): TShape[] => {
  if (!isRecord(data) || !Array.isArray(data.resources)) return [];
  return data.resources.flatMap((resource: unknown, index: number): TShape[] => {
    if (!isRecord(resource)) return [];
    const key = ZResourceKey.safeParse(resource.key);
    if (!key.success) return [];
    if (resource.policies === undefined) return [{ index, key: key.data, policyNames: [] }];
    if (!Array.isArray(resource.policies)) return [{ index, key: key.data, policyNames: null }];
    const names = resource.policies.map((policy: unknown) =>
      isRecord(policy) ? policyFields.name.safeParse(policy.name) : undefined,
    );
    // Without every name we can't tell which policies would be deleted: skip that check.
    const policyNames = names.every((name) => name?.success) ? names.map((name) => name?.data as string) : null;
    return [{ index, key: key.data, policyNames }];
  });
};

/** Archived keys, and policies that would be deleted but are still referenced by requests. */
const conflicts = async (client: Db, file: string, shapes: TShape[]): Promise<TImportError[]> => {
  if (shapes.length === 0) return [];
  const rows = await client.resource.findMany({
    where: { key: { in: shapes.map((shape) => shape.key) } },
    select: { key: true, archivedAt: true, policies: { select: { id: true, name: true } } },
  });
  const byKey = new Map(rows.map((row) => [row.key, row]));
  const errors: TImportError[] = [];
  const doomed: Array<{ shape: TShape; id: string; name: string }> = [];
  for (const shape of shapes) {
    const row = byKey.get(shape.key);
    if (!row) continue;
    if (row.archivedAt) {
      errors.push({
        file,
        path: formatPath(["resources", shape.index, "key"]),
        message: `resource "${shape.key}" is archived; an import can't change it (remove it from the document)`,
      });
      continue;
    }
    const kept = shape.policyNames;
    if (kept === null) continue;
    for (const policy of row.policies)
      if (!kept.includes(policy.name)) doomed.push({ shape, id: policy.id, name: policy.name });
  }
  if (doomed.length === 0) return errors;

  const counts = await client.accessRequest.groupBy({
    by: ["policyId", "status"],
    where: { policyId: { in: doomed.map((policy) => policy.id) } },
    _count: { _all: true },
  });
  for (const { shape, id, name } of doomed) {
    const mine = counts.filter((count) => count.policyId === id);
    const pending = mine
      .filter((count) => count.status === "PENDING")
      .reduce((sum, count) => sum + count._count._all, 0);
    const total = mine.reduce((sum, count) => sum + count._count._all, 0);
    const path = formatPath(["resources", shape.index, "policies"]);
    if (pending > 0) {
      errors.push({
        file,
        path,
        message: `policy "${name}" is missing, so it would be deleted, but it has ${pending} pending request(s); add it back or wait until they are decided`,
      });
    } else if (total > 0) {
      errors.push({
        file,
        path,
        message: `policy "${name}" is missing, so it would be deleted, but ${total} past request(s) refer to it (kept for history); add it back`,
      });
    }
  }
  return errors;
};

const zeroCounts = (): TPlanCounts => ({ create: 0, update: 0, delete: 0, unchanged: 0 });

const PLAN_COUNTS = { resource: "resources", policy: "policies", connector: "connectors", bundle: "bundles" } as const;

/** Adds an entry to the plan and to its kind's counts. */
const recordEntry = (plan: TImportPlan, entry: TPlanEntry) => {
  plan.entries.push(entry);
  plan[PLAN_COUNTS[entry.kind]][entry.action] += 1;
};

const byString =
  <T>(pick: (item: T) => string) =>
  (a: T, b: T) =>
    pick(a) < pick(b) ? -1 : pick(a) > pick(b) ? 1 : 0;

/** The plan for a valid document against the database as it is, and how to carry it out. */
const planImport = async (
  client: Db,
  document: TCatalogDocument,
): Promise<{ plan: TImportPlan; write: (tx: Db) => Promise<void> }> => {
  const keys = document.resources.map((resource) => resource.key);
  const [rows, others] = await Promise.all([
    client.resource.findMany({ where: { key: { in: keys } }, include: { policies: true, connectors: true } }),
    client.resource.findMany({ where: { archivedAt: null, key: { notIn: keys } }, select: { key: true } }),
  ]);
  const byKey = new Map(rows.map((row) => [row.key, row]));
  const plan: TImportPlan = {
    resources: zeroCounts(),
    policies: zeroCounts(),
    connectors: zeroCounts(),
    bundles: zeroCounts(),
    entries: [],
    leftAlone: others.map((row) => row.key).sort(byString((key) => key)),
  };
  const writes: Array<(tx: Db) => Promise<void>> = [];
  const connectorWrites: Array<(tx: Db) => Promise<void>> = [];
  const record = (entry: TPlanEntry) => recordEntry(plan, entry);

  for (const { policies, connectors, ...resource } of document.resources) {
    const row = byKey.get(resource.key);
    // Connectors: matched by name, created or updated; one missing from the document is left
    // as it is (disabling is a deliberate act in the admin area). The credential is never in
    // the document: an update keeps the stored one, a new connector gets its own in the admin area.
    const existingConnectors = new Map((row?.connectors ?? []).map((connector) => [connector.name, connector]));
    for (const connector of connectors) {
      const current = existingConnectors.get(connector.name);
      const same = current && sameConnector(connectorValues(current), connector);
      record({
        kind: "connector",
        resourceKey: resource.key,
        connectorName: connector.name,
        action: !current ? "create" : same ? "unchanged" : "update",
        values: connector,
      });
      if (same) continue;
      const data = {
        kind: connector.kind,
        settings: connector.settings as Prisma.InputJsonValue,
        mapping: connector.mapping,
        autoRemoveDrift: connector.autoRemoveDrift,
      };
      // After every resource write: a new resource exists by then.
      connectorWrites.push(async (tx) => {
        if (current) await tx.connector.update({ where: { id: current.id }, data });
        else {
          const owner = await tx.resource.findUniqueOrThrow({ where: { key: resource.key }, select: { id: true } });
          await tx.connector.create({ data: { ...data, name: connector.name, resourceId: owner.id } });
        }
      });
    }
    if (!row) {
      record({ kind: "resource", resourceKey: resource.key, action: "create", values: resource });
      for (const policy of policies)
        record({
          kind: "policy",
          resourceKey: resource.key,
          policyName: policy.name,
          action: "create",
          values: policy,
        });
      writes.push(async (tx) => {
        const created = await tx.resource.create({ data: resource, select: { id: true } });
        if (policies.length > 0)
          await tx.accessPolicy.createMany({ data: policies.map((policy) => ({ ...policy, resourceId: created.id })) });
      });
      continue;
    }

    const { key, ...fields } = resource;
    const changes = diffFields(RESOURCE_FIELDS, row, fields);
    const changed = Object.keys(changes).length > 0;
    record({
      kind: "resource",
      resourceKey: key,
      action: changed ? "update" : "unchanged",
      ...(changed ? { changes } : {}),
    });
    if (changed) writes.push(async (tx) => void (await tx.resource.update({ where: { id: row.id }, data: fields })));

    const existing = new Map(row.policies.map((policy) => [policy.name, policy]));
    for (const policy of policies) {
      const current = existing.get(policy.name);
      if (!current) {
        record({ kind: "policy", resourceKey: key, policyName: policy.name, action: "create", values: policy });
        writes.push(async (tx) => void (await tx.accessPolicy.create({ data: { ...policy, resourceId: row.id } })));
        continue;
      }
      const policyChanges = diffFields(POLICY_FIELDS, current, policy);
      const policyChanged = Object.keys(policyChanges).length > 0;
      record({
        kind: "policy",
        resourceKey: key,
        policyName: policy.name,
        action: policyChanged ? "update" : "unchanged",
        ...(policyChanged ? { changes: policyChanges } : {}),
      });
      if (policyChanged)
        writes.push(async (tx) => void (await tx.accessPolicy.update({ where: { id: current.id }, data: policy })));
    }
    const names = new Set(policies.map((policy) => policy.name));
    for (const stale of row.policies
      .filter((policy) => !names.has(policy.name))
      .sort(byString((policy) => policy.name))) {
      record({
        kind: "policy",
        resourceKey: key,
        policyName: stale.name,
        action: "delete",
        values: policyValues(stale),
      });
      // Deletes run before every other write of the import.
      writes.unshift(async (tx) => void (await tx.accessPolicy.delete({ where: { id: stale.id } })));
    }
  }

  return {
    plan,
    write: async (tx) => {
      for (const write of [...writes, ...connectorWrites]) await write(tx);
    },
  };
};

const countsText = (counts: TPlanCounts) =>
  `${counts.create} created, ${counts.update} updated, ${counts.delete} deleted, ${counts.unchanged} unchanged`;

export const summarizePlan = (plan: TImportPlan): string =>
  `Resources: ${countsText(plan.resources)}. Policies: ${countsText(plan.policies)}.` +
  (plan.connectors.create + plan.connectors.update > 0 ? ` Connectors: ${countsText(plan.connectors)}.` : "") +
  (plan.entries.some((entry) => entry.kind === "bundle") ? ` Bundles: ${countsText(plan.bundles)}.` : "") +
  (plan.leftAlone.length > 0 ? ` Left alone (not in the document): ${plan.leftAlone.join(", ")}.` : "");

const hasChanges = (plan: TImportPlan) => plan.entries.some((entry) => entry.action !== "unchanged");

/**
 * Administrators: check a catalog document and show what it would change (`dry-run`), or
 * change exactly that (`apply`). See the top of this file for the semantics.
 */
export const importCatalog = async (options: {
  actor: TUserActor;
  source: string;
  fileName: string;
  format?: TCatalogFormat;
  mode: TImportMode;
  context?: TAuditContext;
}): Promise<TImportResult> => {
  const { actor, source, mode, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);
  const file = options.fileName.trim().slice(0, 200) || "(pasted document)";
  const format = inferFormat({ fileName: file, source, format: options.format });
  const refuse = (errors: TImportError[]): TImportResult => ({
    ok: false,
    mode,
    format,
    errors,
    message: `${errors.length} problem(s) found; nothing was changed.`,
  });

  const parsed = parseCatalogSource({ source, fileName: file, format });
  if (!parsed.ok) return refuse(parsed.errors);
  const validated = validateCatalogDocument({ data: parsed.data, fileName: file });
  const shapes = shapesOf(parsed.data);

  /** Everything that reads the database, against one client: a transaction for apply. */
  const run = async (client: Db, write: boolean): Promise<TImportResult> => {
    const errors = [...validated.errors, ...(await conflicts(client, file, shapes))];
    if (errors.length > 0 || validated.document === undefined) return refuse(errors);
    const bundles = await planBundles(client, { document: validated.document, file });
    if (bundles.errors.length > 0) return refuse(bundles.errors);
    const { plan, write: carryOut } = await planImport(client, validated.document);
    for (const entry of bundles.entries)
      recordEntry(plan, { kind: "bundle", resourceKey: "", bundleName: entry.name, action: entry.action });
    const summary = summarizePlan(plan);
    if (!write)
      return { ok: true, mode, format, applied: false, plan, message: `Dry run, nothing written. ${summary}` };
    if (!hasChanges(plan))
      return { ok: true, mode, format, applied: false, plan, message: `Nothing to change. ${summary}` };
    // Bundles let go of policies before the policy writes, and take the final ones after (ADR 0054).
    await bundles.detach(client);
    await carryOut(client);
    await bundles.attach(client);
    await auditChange(client, {
      actor,
      context,
      action: "catalog.import",
      targetType: "catalog",
      targetId: null,
      details: {
        fileName: file,
        format,
        resources: plan.resources,
        policies: plan.policies,
        connectors: plan.connectors,
        bundles: plan.bundles,
        leftAlone: plan.leftAlone,
        changes: plan.entries.filter((entry) => entry.action !== "unchanged"),
      },
    });
    return { ok: true, mode, format, applied: true, plan, message: `Applied. ${summary}` };
  };

  if (mode === "dry-run") return run(db, false);
  try {
    return await db.$transaction(
      async (tx) => {
        await lockCatalog(tx);
        return run(tx, true);
      },
      { maxWait: 10_000, timeout: 60_000 },
    );
  } catch (error) {
    throw mapDatabaseError(error, {
      unique: "The catalog changed while the import ran; nothing was changed. Run it again.",
      referenced: "A request was filed for a policy the import deletes; nothing was changed. Run it again.",
    });
  }
};
