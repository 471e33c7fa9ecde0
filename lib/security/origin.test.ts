import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkRequestOrigin } from "./origin";

const APP = "https://access.example.com";
const request = (method: string, headers: Record<string, string> = {}) => ({ method, headers: new Headers(headers) });

describe("cross-site request refusal", () => {
  it("lets reads through whatever their origin", () => {
    assert.deepEqual(checkRequestOrigin(request("GET", { origin: "https://evil.example" }), APP), { ok: true });
  });
  it("lets same-origin writes and non-browser clients through", () => {
    assert.deepEqual(checkRequestOrigin(request("POST", { origin: APP }), APP), { ok: true });
    assert.deepEqual(checkRequestOrigin(request("POST", { "sec-fetch-site": "same-origin" }), APP), { ok: true });
    assert.deepEqual(checkRequestOrigin(request("DELETE"), APP), { ok: true });
  });
  it("refuses writes from another origin, a sibling subdomain, a lookalike or a null origin", () => {
    for (const origin of [
      "https://evil.example",
      "https://other.example.com",
      "https://access.example.com.evil.example",
      "http://access.example.com",
      "null",
    ]) {
      const verdict = checkRequestOrigin(request("POST", { origin }), APP);
      assert.equal(verdict.ok, false, origin);
    }
    assert.equal(checkRequestOrigin(request("put", { "sec-fetch-site": "cross-site" }), APP).ok, false);
    assert.equal(checkRequestOrigin(request("PATCH", { "sec-fetch-site": "same-site" }), APP).ok, false);
  });
});
