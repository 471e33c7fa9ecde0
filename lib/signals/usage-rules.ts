/**
 * Which policy's usage rules judge a report (ADR 0042). The policy the person's live grant was
 * requested under, when there is one; otherwise the strictest of the resource's policies: the
 * strongest response and, per metric, the lowest ceiling. A report about someone without a
 * grant can still flag (a service sees use that no grant explains).
 */
import type { TUsageResponse } from "./schemas";

const STRENGTH: Record<TUsageResponse, number> = { alert: 0, extra_approval: 1, revoke: 2 };

export type TUsagePolicy = { id: string; usageResponse: TUsageResponse; usageCeilings: Record<string, number> };
export type TUsageRules = { response: TUsageResponse; ceilings: Record<string, number> };

export const effectiveUsageRules = (policies: readonly TUsagePolicy[], grantPolicyId: string | null): TUsageRules => {
  const own = grantPolicyId ? policies.find((policy) => policy.id === grantPolicyId) : undefined;
  const chosen = own ? [own] : policies;
  let response: TUsageResponse = "alert";
  const ceilings: Record<string, number> = {};
  for (const policy of chosen) {
    if (STRENGTH[policy.usageResponse] > STRENGTH[response]) response = policy.usageResponse;
    for (const [metric, ceiling] of Object.entries(policy.usageCeilings)) {
      const current = ceilings[metric];
      if (current === undefined || ceiling < current) ceilings[metric] = ceiling;
    }
  }
  return { response, ceilings };
};
