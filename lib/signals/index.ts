/** Usage signals from services: baselines, flags and the policies' responses (ADR 0042). */
export {
  BASELINE_RULES,
  computeBaseline,
  judgeMetric,
  median,
  medianAbsoluteDeviation,
  type TBaseline,
} from "./baseline";
export { listFlaggedSignals, listGrantSignals, type TFlaggedSignalsView } from "./list-flagged-signals";
export { pruneUsageSignals } from "./prune-usage-signals";
export { recordUsageSignal, type TUsageSignalResult } from "./record-usage-signal";
export {
  FLAGGING_SEVERITIES,
  SEVERITIES,
  SIGNAL_NAME_PATTERN,
  USAGE_RESPONSES,
  ZUsageSignalRequest,
  ZUsageSignalResponse,
  type TUsageResponse,
  type TUsageSignalRequest,
} from "./schemas";
export { markUsageApprovalDemandConsumed, takeUsageApprovalDemand } from "./take-approval-demand";
export { effectiveUsageRules, type TUsagePolicy, type TUsageRules } from "./usage-rules";
export { parseWindow, perMinute } from "./window";
