import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCsvStrict } from "./csv";

describe("parseCsvStrict", () => {
  it("reads quoted cells holding commas, doubled quotes, CR and LF, with or without a last line break", () => {
    assert.deepEqual(parseCsvStrict('a,b\r\n"x, y","say ""hi""\r\nBcc: v"\r\n,last'), [
      ["a", "b"],
      ["x, y", 'say "hi"\r\nBcc: v'],
      ["", "last"],
    ]);
    assert.deepEqual(parseCsvStrict("a\n'=1\n"), [["a"], ["'=1"]]);
  });

  it("refuses what a spreadsheet would read differently", () => {
    assert.throws(() => parseCsvStrict('a,b"c'), /quote inside an unquoted cell/);
    assert.throws(() => parseCsvStrict('"a"b'), /after a cell/);
    assert.throws(() => parseCsvStrict('"a'), /unclosed quote/);
  });
});
