import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fcOptions, hostileString } from "../testing/hostile";
import { csvCell } from "./export-format";
import { ZHistoryFilter } from "./schemas";

describe("CSV cells", () => {
  it("defuses formulas: a cell starting with = + - @ TAB or CR gets a leading apostrophe", () => {
    for (const start of ["=", "+", "-", "@", "\t", "\r"])
      assert.ok(csvCell(`${start}SUM(A1)`).replace(/^"/, "").startsWith(`'${start}`), JSON.stringify(start));
    assert.equal(csvCell("=1+1"), "'=1+1");
    assert.equal(csvCell("plain = text"), "plain = text");
  });

  it("quotes commas, quotes and line breaks, and joins lists", () => {
    assert.equal(csvCell('say "hi", then\nleave'), '"say ""hi"", then\nleave"');
    assert.equal(csvCell(["read", "write"]), "read; write");
    assert.equal(csvCell(null), "");
    assert.equal(csvCell(false), "false");
  });
});

describe("history filters", () => {
  it("reads days as UTC and makes `to` the end of that day", () => {
    const filter = ZHistoryFilter.parse({ from: "2026-11-01", to: "2026-11-30" });
    assert.equal(filter.from?.toISOString(), "2026-11-01T00:00:00.000Z");
    assert.equal(filter.to?.toISOString(), "2026-12-01T00:00:00.000Z");
  });

  it("treats empty fields as no filter and refuses unknown statuses and bad cursors", () => {
    assert.deepEqual(
      Object.values(ZHistoryFilter.parse({ person: "", status: "", q: " " })).filter((value) => value !== undefined),
      [],
    );
    assert.equal(ZHistoryFilter.safeParse({ status: "lost" }).success, false);
    assert.equal(ZHistoryFilter.safeParse({ after: "1' or '1'='1" }).success, false);
    assert.equal(ZHistoryFilter.safeParse({ from: "yesterday" }).success, false);
    // PostgreSQL cannot compare a NUL (22021): refused here with a reason, not a 500 from the query.
    for (const field of ["person", "resource", "environment", "approver", "q"])
      assert.equal(ZHistoryFilter.safeParse({ [field]: "ada\u0000" }).success, false, field);
    assert.equal(ZHistoryFilter.parse({ person: "Zoë 😀" }).person, "Zoë 😀");
  });
});

describe("CSV cells, whatever the text (property)", () => {
  it("never start a formula, and read back as the text (apostrophe aside)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileString(),
          fc
            .constantFrom("=", "+", "-", "@", "\t", "\r")
            .chain((start) => hostileString().map((rest) => `${start}${rest}`)),
        ),
        (value) => {
          const cell = csvCell(value);
          const unquoted = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
          assert.doesNotMatch(unquoted, /^[=+\-@\t\r]/);
          assert.equal(unquoted.replace(/^'(?=[=+\-@\t\r])/, ""), value);
          if (/[",\r\n]/.test(value)) assert.ok(cell.startsWith('"') && cell.endsWith('"'));
        },
      ),
      fcOptions(300),
    );
  });
});
