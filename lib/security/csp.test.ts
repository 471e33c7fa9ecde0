import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildContentSecurityPolicy, newNonce } from "./csp";

const directives = (policy: string) =>
  new Map(policy.split("; ").map((part) => [part.split(" ")[0], part.split(" ").slice(1)]));

describe("Content-Security-Policy", () => {
  it("allows scripts only with the response's nonce in production: no inline, no eval", () => {
    const nonce = newNonce();
    const policy = directives(buildContentSecurityPolicy({ nonce, development: false }));
    const scripts = policy.get("script-src") ?? [];
    assert.ok(scripts.includes(`'nonce-${nonce}'`));
    assert.ok(!scripts.includes("'unsafe-inline'") && !scripts.includes("'unsafe-eval'"));
    assert.deepEqual(policy.get("frame-ancestors"), ["'none'"]);
    assert.deepEqual(policy.get("object-src"), ["'none'"]);
    assert.deepEqual(policy.get("base-uri"), ["'self'"]);
  });
  it("adds eval only in development, and refuses a nonce that could break out of the header", () => {
    assert.ok(buildContentSecurityPolicy({ nonce: newNonce(), development: true }).includes("'unsafe-eval'"));
    assert.throws(
      () => buildContentSecurityPolicy({ nonce: "abc' 'unsafe-inline", development: false }),
      /a CSP nonce must be at least 16 base64 characters/,
    );
    assert.throws(
      () => buildContentSecurityPolicy({ nonce: "short", development: false }),
      /a CSP nonce must be at least 16 base64 characters/,
    );
  });
  it("makes a fresh nonce each time", () => {
    assert.notEqual(newNonce(), newNonce());
    assert.match(newNonce(), /^[A-Za-z0-9+/]{22}==$/);
  });
});
