import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decisionSetDigest, ZDecisionSet } from "./schemas";

describe("the canonical digest of a set of decisions", () => {
  const set = [
    { requestId: "b", decision: "APPROVE" as const },
    { requestId: "a", decision: "DENY" as const },
  ];

  it("does not depend on the order the items were sent in", () => {
    assert.equal(decisionSetDigest("s", set), decisionSetDigest("s", [...set].reverse()));
  });

  it("changes with another decision, another request, one item fewer or another submission", () => {
    const digest = decisionSetDigest("s", set);
    const variants = [
      decisionSetDigest("s", [set[0]!, { requestId: "a", decision: "APPROVE" }]),
      decisionSetDigest("s", [set[0]!, { requestId: "c", decision: "DENY" }]),
      decisionSetDigest("s", [set[0]!]),
      decisionSetDigest("t", set),
    ];
    for (const variant of variants) assert.notEqual(variant, digest);
    assert.equal(new Set(variants).size, variants.length);
  });

  it("refuses a set that names one request twice", () => {
    assert.equal(ZDecisionSet.safeParse([set[0], set[0]]).success, false);
    assert.equal(ZDecisionSet.safeParse([]).success, false);
  });
});
