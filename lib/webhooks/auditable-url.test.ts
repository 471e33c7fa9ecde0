import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { auditableUrl, redactUrl } from "./auditable-url";

describe("webhook URLs in the audit log and the logs", () => {
  it("keep origin and path only: no query string, no user info, no fragment", () => {
    assert.equal(auditableUrl("https://hooks.example.com/jit?token=s3cret&x=1#frag"), "https://hooks.example.com/jit");
    assert.equal(auditableUrl("https://ada:pw@hooks.example.com:8443/a/b?k=v"), "https://hooks.example.com:8443/a/b");
    assert.equal(auditableUrl("http://127.0.0.1:9000"), "http://127.0.0.1:9000/");
    assert.equal(auditableUrl("not a url ?token=s3cret"), "(not a URL)");
  });

  it("are redacted inside error messages that quote them", () => {
    const url = "https://hooks.example.com/jit?token=s3cret";
    assert.equal(
      redactUrl(`Failed to parse URL from ${url}, then ${url}`, url),
      "Failed to parse URL from https://hooks.example.com/jit, then https://hooks.example.com/jit",
    );
  });
});
