import type { TCatalogPolicy } from "@/lib/catalog";

/** One line per policy: what it grants, to whom, and under which rules. */
export const PolicySummary = ({ policy }: { policy: TCatalogPolicy }) => (
  <>
    <span className="font-medium">{policy.name}</span> → {policy.permissions.join(", ")}; requesters{" "}
    {policy.requesterGroups.join(", ")};{" "}
    {policy.stages.length > 0
      ? `stages ${policy.stages.map((stage) => `${stage.name} (${stage.approverGroups.join(", ")} ×${stage.approvalsRequired})`).join(" → ")}`
      : `approvers ${policy.approverGroups.join(", ")} ×${policy.approvalsRequired}`}
    ; {policy.defaultDurationMinutes}/{policy.maxDurationMinutes} min
    {policy.ticketRequired ? "; ticket required" : ""}
    {policy.autoApproveGroups.length > 0
      ? `; auto-approves ${policy.autoApprovePermissions.join(", ")} for ${policy.autoApproveGroups.join(", ")}`
      : ""}
    {policy.breakGlassAllowed ? `; break-glass up to ${policy.breakGlassMaxMinutes} min` : ""}
    {policy.riskThreshold !== null
      ? `; at risk ${policy.riskThreshold}+${policy.riskExtraApprovals > 0 ? ` ${policy.riskExtraApprovals} more approval${policy.riskExtraApprovals === 1 ? "" : "s"}` : ""}${policy.riskBlocksAutoApproval ? " no auto-approval" : ""}`
      : ""}
    {policy.usageResponse !== "alert"
      ? `; flagged usage ${policy.usageResponse === "revoke" ? "ends the grant" : "adds an approval to the next request"}`
      : ""}
    {Object.keys(policy.usageCeilings).length > 0
      ? `; ceilings ${Object.entries(policy.usageCeilings)
          .map(([metric, ceiling]) => `${metric} ${ceiling}/min`)
          .join(", ")}`
      : ""}
    {policy.escalationGroups.length > 0
      ? `; escalates to ${policy.escalationGroups.join(", ")} after ${policy.escalationAfterMinutes} min`
      : ""}
    {policy.onBehalfOfAllowed ? "; requests for a teammate allowed" : ""}
    {policy.pendingRequests > 0 ? `; ${policy.pendingRequests} pending` : ""}
  </>
);
