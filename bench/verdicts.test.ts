import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countDuplicates, servicesVerdict, slowFilters, summarizeTimings } from "./verdicts";

const clean = { rps: 1000, p99: 5, non2xx: 0, errors: 0, timeouts: 0 };

describe("bench verdicts", () => {
  it("gives the services bench no verdict when any request failed, and names the counts", () => {
    assert.match(servicesVerdict({ ...clean, rps: 500 }, clean).verdict, /^MET \(API non-2xx 0, errors 0/);
    assert.match(servicesVerdict({ ...clean, rps: 100 }, clean).verdict, /^NOT MET/);
    const failing = servicesVerdict({ ...clean, rps: 900, non2xx: 3 }, { ...clean, errors: 1 });
    assert.equal(failing.failed, 4);
    assert.match(failing.verdict, /^NO VERDICT: .*API non-2xx 3.*bare non-2xx 0, errors 1/);
    assert.match(servicesVerdict({ ...clean, timeouts: 1 }, clean).verdict, /^NO VERDICT/);
  });

  it("counts a second grant.expired for the same grant under another webhook-id as a duplicate", () => {
    assert.deepEqual(
      countDuplicates([
        { webhookId: "a", grantId: "g1", accepted: 1 },
        { webhookId: "b", grantId: "g1", accepted: 1 },
        { webhookId: "c", grantId: "g2", accepted: 2 },
        { webhookId: "d", grantId: "g3", accepted: 1 },
      ]),
      { sameId: 1, sameGrant: 2 },
    );
  });

  it("reports the cold first run apart from the warm median and p95, and names the slow filters", () => {
    const timing = summarizeTimings([900, 10, 12, 11, 400, 13]);
    assert.deepEqual(timing, { cold: 900, median: 12, p95: 400 });
    const slow = slowFilters(
      [
        { label: "fast", cold: 50, median: 5, p95: 8 },
        { label: "cold only", cold: 900, median: 5, p95: 8 },
        { label: "tail", cold: 100, median: 20, p95: 600 },
      ],
      300,
    );
    assert.deepEqual(
      slow.map((entry) => entry.label),
      ["cold only", "tail"],
    );
  });
});
