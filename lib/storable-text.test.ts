import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { storableJson, storableText } from "./storable-text";

describe("storable text", () => {
  it("replaces lone surrogates and NUL by U+FFFD and keeps valid pairs", () => {
    assert.equal(storableText("a\uD800b"), "a\uFFFDb");
    assert.equal(storableText("\uDC00\uD800"), "\uFFFD\uFFFD", "a low before a high is two lone halves");
    assert.equal(storableText("ok 😀 \uD83D\uDE00"), "ok 😀 😀");
    assert.equal(storableText("nul\u0000"), "nul\uFFFD");
    assert.deepEqual(storableJson({ "k\uD800": ["\uDFFF", 1, null, { x: "\u0000" }] }), {
      "k\uFFFD": ["\uFFFD", 1, null, { x: "\uFFFD" }],
    });
  });

  it("yields what a UTF-8 round trip yields (NUL aside), and is idempotent (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
        const stored = storableText(text);
        assert.equal(Buffer.from(stored, "utf8").toString("utf8"), stored, "well formed");
        assert.equal(stored, Buffer.from(text.replace(/\u0000/g, "\uFFFD"), "utf8").toString("utf8"));
        assert.equal(storableText(stored), stored);
      }),
      { numRuns: 500 },
    );
  });
});
