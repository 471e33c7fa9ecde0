import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reviewSetDigest, ZReviewDecisionSet, ZStartReview } from "./schemas";

const certify = (itemId: string, reason = "") => ({ itemId, verdict: "CERTIFY" as const, reason });
const remove = (itemId: string, reason = "Left the team") => ({ itemId, verdict: "REMOVE" as const, reason });

describe("access review schemas", () => {
  it("binds a confirmation to exactly the set: item, verdict and reason, in any order", () => {
    const set = [certify("a"), remove("b")];
    const digest = reviewSetDigest("r1", set);
    assert.equal(reviewSetDigest("r1", [...set].reverse()), digest, "order does not matter");
    assert.notEqual(reviewSetDigest("r2", set), digest, "another review");
    assert.notEqual(reviewSetDigest("r1", [certify("a"), certify("b")]), digest, "another verdict");
    assert.notEqual(reviewSetDigest("r1", [certify("a"), remove("b", "Left the company")]), digest, "another reason");
    assert.notEqual(reviewSetDigest("r1", [certify("a")]), digest, "one item fewer");
    assert.notEqual(reviewSetDigest("r1", [...set, certify("c")]), digest, "one item more");
  });

  it("needs a reason to remove, and each person once", () => {
    assert.equal(ZReviewDecisionSet.safeParse([certify("a")]).success, true, "a certification needs none");
    const bare = ZReviewDecisionSet.safeParse([{ itemId: "a", verdict: "REMOVE" }]);
    assert.equal(bare.success, false);
    assert.deepEqual(bare.error?.issues[0]?.path, [0, "reason"]);
    assert.equal(ZReviewDecisionSet.safeParse([remove("a", "   no   ")]).success, false, "spaces are not a reason");
    assert.equal(ZReviewDecisionSet.safeParse([certify("a"), remove("a")]).success, false, "twice");
    assert.equal(ZReviewDecisionSet.safeParse([]).success, false, "nothing");
  });

  it("refuses a review without policies or reviewers, and odd usage periods", () => {
    const base = {
      name: "Quarterly",
      policyIds: ["p1"],
      reviewerEmails: ["rex@example.com"],
      deadline: "2031-01-01T10:00:00Z",
    };
    assert.equal(ZStartReview.parse(base).usageDays, 90, "90 days by default");
    for (const change of [
      { policyIds: [] },
      { policyIds: ["p1", "p1"] },
      { reviewerEmails: [] },
      { usageDays: 0 },
      { usageDays: 1.5 },
      { usageDays: 366 },
      { name: "  " },
      { deadline: "next week" },
    ])
      assert.equal(ZStartReview.safeParse({ ...base, ...change }).success, false, JSON.stringify(change));
  });
});
