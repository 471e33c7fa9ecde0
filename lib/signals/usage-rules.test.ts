import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { effectiveUsageRules, type TUsagePolicy } from "./usage-rules";

const policies: TUsagePolicy[] = [
  { id: "read", usageResponse: "alert", usageCeilings: { rows_read: 100_000 } },
  { id: "write", usageResponse: "revoke", usageCeilings: { rows_read: 50_000, rows_written: 1_000 } },
  { id: "audit", usageResponse: "extra_approval", usageCeilings: {} },
];

describe("which usage rules judge a report", () => {
  it("the live grant's own policy when there is one", () => {
    assert.deepEqual(effectiveUsageRules(policies, "read"), { response: "alert", ceilings: { rows_read: 100_000 } });
    assert.deepEqual(effectiveUsageRules(policies, "audit"), { response: "extra_approval", ceilings: {} });
  });

  it("otherwise the strictest of the resource's: the strongest response and the lowest ceiling per metric", () => {
    assert.deepEqual(effectiveUsageRules(policies, null), {
      response: "revoke",
      ceilings: { rows_read: 50_000, rows_written: 1_000 },
    });
    assert.deepEqual(effectiveUsageRules(policies, "a policy since deleted").response, "revoke");
  });

  it("alerts only, with no ceilings, on a resource without policies", () => {
    assert.deepEqual(effectiveUsageRules([], null), { response: "alert", ceilings: {} });
  });
});
