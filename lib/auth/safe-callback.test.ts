import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { safeCallbackPath } from "./safe-callback";

const APP = "https://access.example.com";

describe("the return path after sign-in never leaves the portal", () => {
  it("keeps paths on this portal", () => {
    assert.equal(safeCallbackPath("/admin", APP), "/admin");
    assert.equal(safeCallbackPath("/request?resource=prod-postgres#form", APP), "/request?resource=prod-postgres#form");
  });

  for (const attack of ["//evil.example", "/\\evil.example", "/\\/evil.example", "https://evil.example/", "javascript:alert(1)", "/\t/evil.example", "", undefined]) {
    it(`refuses ${JSON.stringify(attack)}`, () => {
      assert.equal(safeCallbackPath(attack, APP), "/");
    });
  }
});
