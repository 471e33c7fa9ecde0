import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatLocalBeside, formatUtc, instantFromLocal } from "./time";

describe("formatUtc", () => {
  it("writes minutes in UTC, without seconds", () => {
    assert.equal(formatUtc(new Date("2026-12-04T09:05:59.999Z")), "2026-12-04 09:05 UTC");
  });
});

describe("formatLocalBeside", () => {
  const at = new Date("2026-12-04T14:03:00.000Z");

  it("gives the reader's time of day when their zone differs", () => {
    assert.equal(formatLocalBeside(at, "Europe/Berlin"), "15:03 your time");
    assert.equal(formatLocalBeside(at, "America/New_York"), "09:03 your time");
    assert.equal(formatLocalBeside(at, "Asia/Kolkata"), "19:33 your time");
  });

  it("names the date when the reader's day is another one", () => {
    assert.equal(formatLocalBeside(at, "Asia/Tokyo"), "23:03 your time", "the same day: no date");
    assert.equal(formatLocalBeside(new Date("2026-12-04T20:30:00.000Z"), "Asia/Tokyo"), "Dec 5, 05:30 your time");
    assert.equal(
      formatLocalBeside(new Date("2026-12-05T01:30:00.000Z"), "America/Los_Angeles"),
      "Dec 4, 17:30 your time",
    );
  });

  it("says nothing where the zone reads as UTC at that instant", () => {
    assert.equal(formatLocalBeside(at, "UTC"), null);
    assert.equal(formatLocalBeside(at, "Europe/London"), null, "winter: GMT");
    assert.equal(formatLocalBeside(new Date("2026-07-01T12:00:00.000Z"), "Europe/London"), "13:00 your time");
  });
});

describe("instantFromLocal", () => {
  it("turns a datetime-local value and the browser's offset into an instant", () => {
    // getTimezoneOffset() is -60 in Paris in winter: local 10:00 is 09:00 UTC.
    assert.equal(instantFromLocal("2026-12-05T10:00", -60), "2026-12-05T09:00:00.000Z");
    assert.equal(instantFromLocal("2026-12-05T10:00", 300), "2026-12-05T15:00:00.000Z");
    assert.equal(instantFromLocal(undefined, 0), undefined);
    assert.equal(instantFromLocal("soon", 0), "soon", "left for the schema to refuse");
    assert.equal(instantFromLocal("2026-12-05T10:00", Number.NaN), "2026-12-05T10:00:00.000Z");
  });
});
