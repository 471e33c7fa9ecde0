import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatUtc } from "./time";

describe("formatUtc", () => {
  it("writes minutes in UTC, without seconds", () => {
    assert.equal(formatUtc(new Date("2026-12-04T09:05:59.999Z")), "2026-12-04 09:05 UTC");
  });
});
