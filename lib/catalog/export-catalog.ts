import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { serializeCatalogDocument, type TCatalogFormat } from "./document";
import { exportBundles } from "./catalog-bundles";
import { connectorValues, policyValues } from "./internal";
import { CATALOG_DOCUMENT_VERSION, type TCatalogDocument } from "./schemas";

// Code-unit order: the same in every locale and whatever the database's collation, so the
// exported file diffs cleanly in git.
const byString =
  <T>(pick: (item: T) => string) =>
  (a: T, b: T) =>
    pick(a) < pick(b) ? -1 : pick(a) > pick(b) ? 1 : 0;

/** The live (non-archived) catalog as one document, ordered by key and policy name. */
export const buildCatalogDocument = async (): Promise<TCatalogDocument> => {
  const rows = await db.resource.findMany({
    where: { archivedAt: null },
    include: {
      policies: true,
      // Never the credential: policy-as-code carries what a connector does, not its secret.
      connectors: { select: { kind: true, name: true, settings: true, mapping: true, autoRemoveDrift: true } },
    },
  });
  const bundles = await exportBundles(db);
  return {
    version: CATALOG_DOCUMENT_VERSION,
    resources: rows.sort(byString((row) => row.key)).map((row) => ({
      key: row.key,
      name: row.name,
      description: row.description,
      environment: row.environment,
      permissions: row.permissions,
      slackChannel: row.slackChannel,
      policies: row.policies.sort(byString((policy) => policy.name)).map(policyValues),
      connectors: row.connectors.sort(byString((connector) => connector.name)).map(connectorValues),
    })),
    // Only when there are some: a catalog without bundles exports as it always did (ADR 0054).
    ...(bundles.length > 0 ? { bundles } : {}),
  };
};

export const catalogFileName = (format: TCatalogFormat): string => `access-catalog.${format}`;

/** Administrators: the catalog as YAML or JSON text, for review and versioning in git. */
export const exportCatalog = async (options: {
  actor: TUserActor;
  format: TCatalogFormat;
  context?: TAuditContext;
}): Promise<string> => {
  await assertCan(options.actor, "catalog.manage", undefined, options.context);
  return serializeCatalogDocument(await buildCatalogDocument(), options.format);
};
