import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deviceFamily, networkPrefix } from "./device";
import {
  applyRiskRules,
  computeRiskSignals,
  describeHours,
  parseRiskSignals,
  riskScore,
  type TRiskFacts,
} from "./signals";

const at = (iso: string) => new Date(iso);

const quiet: TRiskFacts = {
  now: at("2026-11-23T10:30:00Z"),
  resource: { key: "staging-db", environment: "staging" },
  permissions: ["read"],
  durationMinutes: 30,
  maxDurationMinutes: 240,
  earlierRequestsForResource: 2,
  earlierRequestTimes: ["09:10", "10:05", "11:40", "10:20", "09:55"].map((time) => at(`2026-11-20T${time}:00Z`)),
  recentRequests: 0,
  device: "Chrome on Linux",
  network: "203.0.113.0/24",
  knownDevices: ["Chrome on Linux"],
  knownNetworks: ["203.0.113.0/24"],
  recentUsageAnomalies: 0,
  latestUsageAnomaly: null,
};

const codes = (facts: Partial<TRiskFacts>) => computeRiskSignals({ ...quiet, ...facts }).map((signal) => signal.code);

describe("risk signals (pure)", () => {
  it("says nothing about an ordinary request", () => {
    assert.deepEqual(codes({}), []);
  });

  it("names each signal with a reason and a weight, and sums the score", () => {
    const signals = computeRiskSignals({
      ...quiet,
      earlierRequestsForResource: 0,
      durationMinutes: 200,
      resource: { key: "prod-db", environment: "Production" },
      permissions: ["read", "write"],
    });
    assert.deepEqual(
      signals.map((signal) => signal.code),
      ["first_request_for_resource", "near_max_duration", "production_privileged"],
    );
    assert.match(signals[0]?.reason ?? "", /First request by this person for prod-db/);
    assert.match(signals[2]?.reason ?? "", /write on a Production resource/);
    assert.equal(riskScore(signals), 4);
  });

  it("outside usual hours: fires more than an hour from every earlier request, wraps at midnight, needs five earlier requests", () => {
    assert.deepEqual(codes({ now: at("2026-11-23T03:00:00Z") }), ["outside_usual_hours"]);
    assert.deepEqual(codes({ now: at("2026-11-23T12:59:00Z") }), []);
    assert.deepEqual(codes({ now: at("2026-11-23T13:00:00Z") }), ["outside_usual_hours"]);
    assert.deepEqual(
      codes({ now: at("2026-11-23T03:00:00Z"), earlierRequestTimes: quiet.earlierRequestTimes.slice(0, 4) }),
      [],
    );
    const lateNight = ["23:10", "23:40", "22:50", "23:05", "23:30"].map((time) => at(`2026-11-20T${time}:00Z`));
    assert.deepEqual(codes({ now: at("2026-11-23T00:20:00Z"), earlierRequestTimes: lateNight }), []);
    const [signal] = computeRiskSignals({ ...quiet, now: at("2026-11-23T03:00:00Z") });
    assert.equal(signal?.reason, "Made at 03:00 UTC; this person's earlier requests were made at 09:00–12:00 UTC.");
  });

  it("new device and new network: fire against history, stay quiet without history or without a value", () => {
    assert.deepEqual(codes({ device: "Firefox on Windows" }), ["new_device"]);
    assert.deepEqual(codes({ network: "198.51.100.0/24" }), ["new_network"]);
    assert.deepEqual(codes({ device: "Firefox on Windows", knownDevices: [] }), []);
    assert.deepEqual(codes({ device: null, network: null }), []);
  });

  it("burst and near-maximum thresholds", () => {
    assert.deepEqual(codes({ recentRequests: 2 }), []);
    assert.deepEqual(codes({ recentRequests: 3 }), ["request_burst"]);
    assert.deepEqual(codes({ durationMinutes: 191 }), []);
    assert.deepEqual(codes({ durationMinutes: 192 }), ["near_max_duration"]);
  });

  it("production with read only, or staging with write, is not production_privileged", () => {
    assert.deepEqual(codes({ resource: { key: "p", environment: "production" } }), []);
    assert.deepEqual(codes({ permissions: ["write"] }), []);
  });

  it("risk rules: threshold reached at score >= threshold; no threshold means no rules", () => {
    assert.deepEqual(applyRiskRules({ riskThreshold: 3, riskExtraApprovals: 1, riskBlocksAutoApproval: true }, 2), {
      reached: false,
      extraApprovals: 0,
      blocksAutoApproval: false,
    });
    assert.deepEqual(applyRiskRules({ riskThreshold: 3, riskExtraApprovals: 1, riskBlocksAutoApproval: true }, 3), {
      reached: true,
      extraApprovals: 1,
      blocksAutoApproval: true,
    });
    assert.deepEqual(
      applyRiskRules({ riskThreshold: null, riskExtraApprovals: 0, riskBlocksAutoApproval: false }, 99),
      { reached: false, extraApprovals: 0, blocksAutoApproval: false },
    );
  });

  it("stored signals are re-validated when read back", () => {
    assert.deepEqual(parseRiskSignals([{ code: "new_device", reason: "x", weight: 1 }, { code: "bogus" }, 3]), [
      { code: "new_device", reason: "x", weight: 1 },
    ]);
    assert.deepEqual(parseRiskSignals({}), []);
  });

  it("describes hours as ranges", () => {
    assert.equal(
      describeHours([at("2026-01-01T23:00:00Z"), at("2026-01-01T08:00:00Z"), at("2026-01-01T09:30:00Z")]),
      "08:00–10:00, 23:00–00:00",
    );
  });
});

describe("device family and network prefix", () => {
  it("groups user agents by browser and system, not version", () => {
    const chrome =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    assert.equal(deviceFamily(chrome), "Chrome on Linux");
    assert.equal(deviceFamily(chrome.replace("131.0", "132.0")), "Chrome on Linux");
    assert.equal(
      deviceFamily(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
      ),
      "Edge on Windows",
    );
    assert.equal(
      deviceFamily("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:133.0) Gecko/20100101 Firefox/133.0"),
      "Firefox on macOS",
    );
    assert.equal(
      deviceFamily(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
      ),
      "Safari on iOS",
    );
    assert.equal(deviceFamily("curl/8.5.0"), "curl on unknown OS");
    assert.equal(deviceFamily(""), null);
    assert.equal(deviceFamily(null), null);
  });

  it("IPv4 /24 and IPv6 /64, with mapped and bracketed forms", () => {
    assert.equal(networkPrefix("203.0.113.77"), "203.0.113.0/24");
    assert.equal(networkPrefix("::ffff:203.0.113.9"), "203.0.113.0/24");
    assert.equal(networkPrefix("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    assert.equal(networkPrefix("[2001:db8:1:2::9]"), "2001:db8:1:2::/64");
    assert.equal(networkPrefix("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(networkPrefix("::1"), "0:0:0:0::/64");
    assert.equal(networkPrefix("not an ip"), null);
    assert.equal(networkPrefix(undefined), null);
  });
});

describe("usage anomalies (ADR 0042)", () => {
  it("a flagged usage signal within the window is a signal naming the latest reason; none is none", () => {
    assert.equal(
      computeRiskSignals(quiet).some((item) => item.code === "recent_usage_anomaly"),
      false,
    );
    const signals = computeRiskSignals({
      ...quiet,
      recentUsageAnomalies: 2,
      latestUsageAnomaly: "rows_read at 9000/min.",
    });
    const found = signals.find((item) => item.code === "recent_usage_anomaly");
    assert.equal(found?.weight, 2);
    assert.equal(
      found?.reason,
      "2 flagged usage signals from services within 7 days; the latest: rows_read at 9000/min.",
    );
  });
});
