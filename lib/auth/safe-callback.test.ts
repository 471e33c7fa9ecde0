import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAcceptableCallbackUrl, isAcceptableErrorCode, safeCallbackPath, safeRedirectUrl } from "./safe-callback";

const APP = "https://access.example.com";

describe("the return path after sign-in never leaves the portal", () => {
  it("keeps paths on this portal", () => {
    assert.equal(safeCallbackPath("/admin", APP), "/admin");
    assert.equal(safeCallbackPath("/request?resource=prod-postgres#form", APP), "/request?resource=prod-postgres#form");
  });

  for (const attack of [
    "//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\t/evil.example",
    "",
    undefined,
  ]) {
    it(`refuses ${JSON.stringify(attack)}`, () => {
      assert.equal(safeCallbackPath(attack, APP), "/");
    });
  }
});

describe("next-auth's redirect callback never throws and never leaves the portal", () => {
  it("keeps this portal's paths and URLs, and sends anything else home", () => {
    assert.equal(safeRedirectUrl("/requests/1?x=1", APP), `${APP}/requests/1?x=1`);
    assert.equal(safeRedirectUrl(`${APP}/admin`, APP), `${APP}/admin`);
    for (const attack of [
      "\u0000",
      "\ud8fd\udfc7",
      "https://evil.example/",
      "//evil.example",
      "javascript:alert(1)",
      "",
      "http://[::1",
      "/\\evil.example",
    ]) {
      assert.equal(safeRedirectUrl(attack, APP), `${APP}/`, JSON.stringify(attack));
    }
  });
});

describe("callbackUrls next-auth would answer with a 500 are recognised", () => {
  it("accepts paths and http(s) URLs, refuses the rest", () => {
    for (const ok of ["/", "/requests/1", `${APP}/admin`, "https://evil.example/"])
      assert.equal(isAcceptableCallbackUrl(ok, APP), true, ok);
    for (const bad of ["\u0000", "\ud8fd\udfc7", "javascript:alert(1)", "x", "ftp://x"])
      assert.equal(isAcceptableCallbackUrl(bad, APP), false, JSON.stringify(bad));
  });

  it("accepts next-auth's own error codes and refuses text a Location header cannot carry", () => {
    for (const ok of ["", "OAuthSignin", "AccessDenied", "Configuration", "Verification"])
      assert.equal(isAcceptableErrorCode(ok), true, ok);
    // Found by the hostile-input suite (seed 196068928): U+0100 made the redirect a 500.
    for (const bad of ["\u0100", "a b", "\u0000", "x".repeat(65), "<script>"])
      assert.equal(isAcceptableErrorCode(bad), false, JSON.stringify(bad));
  });
});
