/** Risk signals computed at submission and the policies' risk rules (docs/decisions/0013). */
export { deviceFamily, networkPrefix } from "./device";
export { gatherRiskFacts } from "./gather-facts";
export {
  applyRiskRules,
  computeRiskSignals,
  describeHours,
  parseRiskSignals,
  RISK_CODES,
  RISK_LABELS,
  RISK_RULES,
  RISK_WEIGHTS,
  riskScore,
  type TRiskCode,
  type TRiskFacts,
  type TRiskPolicy,
  type TRiskSignal,
  usageExtraApprovalSignal,
  ZRiskSignal,
} from "./signals";
