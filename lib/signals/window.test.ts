import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseWindow, perMinute } from "./window";

describe("usage report windows (ISO 8601 subset)", () => {
  it("reads PT#S, PT#M and PT#H as seconds", () => {
    assert.equal(parseWindow("PT30S"), 30);
    assert.equal(parseWindow("PT1M"), 60);
    assert.equal(parseWindow("PT15M"), 900);
    assert.equal(parseWindow("PT6H"), 21_600);
    assert.equal(parseWindow("PT24H"), 86_400);
  });

  it("refuses every other shape: days, fractions, combinations, zero, signs, lower case, over a day", () => {
    for (const value of [
      "P1D",
      "PT1.5M",
      "PT1H30M",
      "PT0S",
      "PT01M",
      "PT-1M",
      "pt1m",
      "PT1m",
      "PT25H",
      "PT86401S",
      "PT",
      "",
      " PT1M",
      "PT1M ",
      "PT9999999S",
    ])
      assert.equal(parseWindow(value), null, value);
  });

  it("turns a value over a window into a rate per minute", () => {
    assert.equal(perMinute(10_000, 60), 10_000);
    assert.equal(perMinute(10_000, 30), 20_000);
    assert.equal(perMinute(60_000, 3_600), 1_000);
  });
});
