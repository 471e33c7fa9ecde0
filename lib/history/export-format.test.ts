import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fcOptions, hostileString } from "../testing/hostile";
import { CsvSyntaxError, parseCsvStrict, splitLikeSemicolonLocale } from "../testing/csv";
import { csvCell, csvHeader, csvLine, neutraliseFormulas } from "./export-format";
import type { TGrantHistoryRow } from "./grant-history";
import { ZHistoryFilter } from "./schemas";

const TRIGGERS = ["=", "+", "-", "@", "\t", "\r"];
const startsFormula = (cell: string) => /^[=+\-@\t\r]/.test(cell);

const row = (overrides: Partial<TGrantHistoryRow>): TGrantHistoryRow => ({
  id: "0190a0a0-0000-7000-8000-000000000001",
  subjectId: "u1",
  subjectName: "Ada",
  subjectEmail: "ada@example.com",
  resourceKey: "prod-postgres",
  resourceName: "Production PostgreSQL",
  environment: "production",
  permissions: ["read", "write"],
  requestId: null,
  requestedAt: null,
  decidedAt: null,
  requestedMinutes: 30,
  startsAt: new Date("2026-12-01T10:00:00.000Z"),
  expiresAt: new Date("2026-12-01T10:30:00.000Z"),
  revokedAt: null,
  revokedById: null,
  revokedByName: null,
  revokeReason: null,
  justification: "INC-1",
  ticket: null,
  breakGlass: false,
  approvers: [],
  extensions: 0,
  status: "expired",
  actualMinutes: 30,
  ending: "expired",
  ...overrides,
});

const exportOf = (rows: TGrantHistoryRow[]) => csvHeader() + rows.map(csvLine).join("");

describe("CSV cells", () => {
  it("quotes every cell, the header's too, and doubles quotes", () => {
    assert.equal(csvCell("plain"), '"plain"');
    assert.equal(csvCell(42), '"42"');
    assert.equal(csvCell(false), '"false"');
    assert.equal(csvCell(null), '""');
    assert.equal(csvCell(["read", "write"]), '"read; write"');
    assert.equal(csvCell('say "hi", then\nleave'), '"say ""hi"", then\nleave"');
    assert.ok(
      csvHeader()
        .split(",")
        .every((cell) => /^"[a-z_]+"(\r\n)?$/.test(cell)),
    );
  });

  it("defuses formulas: a cell starting with = + - @ TAB or CR gets a leading apostrophe", () => {
    for (const start of TRIGGERS) assert.equal(csvCell(`${start}SUM(A1)`), `"'${start}SUM(A1)"`, JSON.stringify(start));
    assert.equal(csvCell(' "=1+1'), `"' ""=1+1"`, "spaces and quotes before the trigger do not hide it");
    assert.equal(csvCell("plain = text"), '"plain = text"');
  });

  it("defuses a formula after a `;`, where a semicolon-locale spreadsheet starts a new cell", () => {
    assert.equal(neutraliseFormulas("INC-1;=cmd|' /C calc'!A0"), "INC-1;'=cmd|' /C calc'!A0");
    assert.equal(neutraliseFormulas("a; @SUM(1)"), "a;' @SUM(1)");
    assert.equal(neutraliseFormulas('a;"=1'), `a;'"=1`);
    assert.equal(neutraliseFormulas("a;b;-2"), "a;b;'-2");
    assert.equal(neutraliseFormulas("a;b, =c"), "a;b, =c", "a comma is not a separator there");
    assert.equal(csvCell(["read", "=write"]), `"read;' =write"`, "list items too");
  });
});

describe("the CSV export, read back by real CSV readers", () => {
  const attack = [
    '=HYPERLINK("http://evil","click")',
    "fine;=cmd|' /C calc'!A0",
    'x","=1;2',
    '";=1',
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "line one\r\n=line two",
    ' ;"  +1',
  ];
  const rows = attack.map((text, index) =>
    row({ id: `id-${index}`, justification: text, ticket: text, subjectName: text, approvers: [text, text] }),
  );
  const text = exportOf(rows);

  it("parses as strict RFC 4180, one row per grant, columns in place, every value read back", () => {
    const [header, ...body] = parseCsvStrict(text.replace(/\r\n$/, ""));
    assert.ok(header);
    assert.equal(body.length, rows.length);
    for (const [index, cells] of body.entries()) {
      assert.equal(cells.length, header.length, `row ${index} has every column`);
      assert.equal(cells[header.indexOf("grant_id")], `id-${index}`);
      const justification: string = cells[header.indexOf("justification")] ?? "";
      assert.ok(!startsFormula(justification), justification);
      assert.equal(justification.replace(/'/g, ""), attack[index]!.replace(/'/g, ""), "the text, apostrophes aside");
    }
  });

  it("leaves no cell that starts a formula when split at `;` as a semicolon-locale spreadsheet does", () => {
    const cells = splitLikeSemicolonLocale(text).flat();
    const formulas = cells.filter(startsFormula);
    assert.deepEqual(formulas, []);
    // The reader model is not vacuous: the old format (bare cells, no `;` rule) fails it.
    const unsafe = splitLikeSemicolonLocale('"id-1","fine;=cmd"\r\n').flat().filter(startsFormula);
    assert.deepEqual(unsafe, ['=cmd"']);
  });

  it("rejects a malformed file: the strict reader is strict", () => {
    assert.throws(() => parseCsvStrict('"a"b'), CsvSyntaxError);
    assert.throws(() => parseCsvStrict('a"b'), CsvSyntaxError);
    assert.throws(() => parseCsvStrict('"abc'), CsvSyntaxError);
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
  it("parse back as one cell, never start a formula there or after a `;`, and keep the text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileString(),
          fc.constantFrom(...TRIGGERS).chain((start) => hostileString().map((rest) => `${start}${rest}`)),
          fc
            .tuple(hostileString(), fc.constantFrom(...TRIGGERS), hostileString())
            .map(([before, start, rest]) => `${before};${start}${rest}`),
        ),
        (value) => {
          const cell = csvCell(value);
          const [parsed] = parseCsvStrict(cell);
          assert.equal(parsed?.length, 1);
          const text = parsed[0]!;
          assert.ok(!startsFormula(text.replace(/^[ "]*/, "")));
          for (const part of text.split(";").slice(1)) assert.ok(!startsFormula(part.replace(/^[ "]*/, "")), part);
          assert.equal(text.replace(/'/g, ""), value.replace(/'/g, ""));
        },
      ),
      fcOptions(300),
    );
  });
});
