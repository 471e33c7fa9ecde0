/**
 * The catalog: resources, their access policies, and their export/import as one document.
 * Administrators only (`catalog.manage`); every change is audited in its own transaction.
 */
export { archiveResource } from "./archive-resource";
export { createPolicy } from "./create-policy";
export { createResource } from "./create-resource";
export { deletePolicy } from "./delete-policy";
export { formatImportError, inferFormat, type TCatalogFormat, type TImportError } from "./document";
export { buildCatalogDocument, catalogFileName, exportCatalog } from "./export-catalog";
export {
  importCatalog,
  summarizePlan,
  type TImportMode,
  type TImportPlan,
  type TImportResult,
  type TPlanAction,
  type TPlanCounts,
  type TPlanEntry,
} from "./import-catalog";
export { getSetupProgress, type TSetupProgress, type TSetupStep } from "./get-setup-progress";
export { getCatalogResource, listCatalog, type TCatalogPolicy, type TCatalogResource } from "./list-catalog";
export {
  formatPath,
  MAX_DURATION_MINUTES,
  type TCatalogDocument,
  type TPolicy,
  type TPolicyInput,
  type TResource,
  type TResourceInput,
  type TResourceUpdateInput,
  ZCatalogDocument,
  ZPolicyInput,
  ZResourceInput,
  ZResourceUpdate,
} from "./schemas";
export { updatePolicy } from "./update-policy";
export { updateResource } from "./update-resource";
export {
  BUNDLE_ITEM_FORMAT,
  bundleItemsText,
  deleteBundle,
  listBundlesForAdmin,
  parseBundleItems,
  saveBundle,
  type TAdminBundle,
  type TBundleFormInput,
} from "./manage-bundles";
