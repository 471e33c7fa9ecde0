import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BASELINE_RULES, computeBaseline, judgeMetric, median, medianAbsoluteDeviation } from "./baseline";

const usual = [100, 110, 90, 105, 95, 100, 120, 80, 100, 102];

describe("median and MAD", () => {
  it("are the middle value (or the mean of the two middle ones) and the median distance to it", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(medianAbsoluteDeviation([1, 1, 2, 2, 4, 6, 9]), 1);
  });

  it("barely move when one report is wild (unlike a mean)", () => {
    assert.equal(median([...usual, 1_000_000]), 100);
  });
});

describe("baseline", () => {
  it("says nothing below the minimum number of reports", () => {
    assert.equal(computeBaseline(usual.slice(0, BASELINE_RULES.minSamples - 1)), null);
    assert.ok(computeBaseline(usual));
  });

  it("puts the threshold at median + k × max(1.4826 × MAD, 10% of the median)", () => {
    const baseline = computeBaseline(usual);
    assert.ok(baseline);
    assert.equal(baseline.median, 100);
    assert.equal(baseline.mad, 5);
    assert.equal(baseline.threshold, 100 + BASELINE_RULES.k * Math.max(5 * 1.4826, 10));
  });

  it("keeps a floor under the spread when every report was the same", () => {
    const baseline = computeBaseline(Array(12).fill(1_000));
    assert.equal(baseline?.mad, 0);
    assert.equal(baseline?.threshold, 1_000 + BASELINE_RULES.k * 100);
  });
});

describe("judging a report", () => {
  it("does not flag a usual value, flags one far above the baseline with both numbers in the reason", () => {
    assert.equal(judgeMetric({ metric: "rows_read", perMinute: 150, history: usual, ceiling: null }).flagged, false);
    const outlier = judgeMetric({ metric: "rows_read", perMinute: 10_000, history: usual, ceiling: null });
    assert.equal(outlier.flagged, true);
    assert.match(outlier.reason ?? "", /rows_read at 10000\/min is far above this person's usual 100\/min/);
  });

  it("never flags on the baseline alone before there are enough reports", () => {
    assert.equal(judgeMetric({ metric: "m", perMinute: 1e9, history: [1, 1, 1], ceiling: null }).flagged, false);
  });

  it("flags above the policy's ceiling at once, even without history, naming the ceiling", () => {
    const judged = judgeMetric({ metric: "rows_read", perMinute: 60_000, history: [], ceiling: 50_000 });
    assert.equal(judged.flagged, true);
    assert.equal(judged.reason, "rows_read at 60000/min is above the policy's ceiling of 50000/min.");
    assert.equal(judgeMetric({ metric: "rows_read", perMinute: 50_000, history: [], ceiling: 50_000 }).flagged, false);
  });
});
