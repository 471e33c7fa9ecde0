/**
 * Bundles (ADR 0054): several resource + permission pairs, each under its own policy,
 * requested together as one submission and decided with one passkey confirmation per set.
 * Defined by administrators in the catalog document (lib/catalog).
 */
export { requestBundle, type TBundleResult } from "./request-bundle";
export { startBundleDecision } from "./start-bundle-decision";
export { decideBundle, type TBundleDecisionResult } from "./decide-bundle";
export { getSubmission, type TSubmissionDetail, type TSubmissionItem } from "./get-submission";
export { listRequestableBundles, type TRequestableBundle } from "./list-bundles";
export {
  decisionSetDigest,
  MAX_BUNDLE_ITEMS,
  ZDecideBundle,
  ZRequestBundle,
  ZStartBundleDecision,
  type TDecideBundle,
  type TDecisionItem,
  type TRequestBundle,
  type TStartBundleDecision,
} from "./schemas";
