import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCsv } from "./csv";

describe("parseCsv", () => {
  it("reads quoted cells holding commas, doubled quotes, CR and LF, with or without a last line break", () => {
    assert.deepEqual(parseCsv('a,b\r\n"x, y","say ""hi""\r\nBcc: v"\r\n,last'), [
      ["a", "b"],
      ["x, y", 'say "hi"\r\nBcc: v'],
      ["", "last"],
    ]);
    assert.deepEqual(parseCsv("a\n'=1\n"), [["a"], ["'=1"]]);
  });

  it("refuses what a spreadsheet would read differently", () => {
    assert.throws(() => parseCsv('a,b"c'), /a quote inside an unquoted cell/);
    assert.throws(() => parseCsv('"a"b'), /text after a closing quote/);
    assert.throws(() => parseCsv('"a'), /unterminated quoted cell/);
  });
});
