import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorMessageOf } from "./log-metadata";

describe("next-auth's error metadata, as logged and audited", () => {
  it("finds the cause of a failed sign-in whichever shape next-auth passes (an unreachable IdP's ECONNREFUSED)", () => {
    assert.equal(
      errorMessageOf(new Error("connect ECONNREFUSED 127.0.0.1:3001")),
      "connect ECONNREFUSED 127.0.0.1:3001",
    );
    assert.equal(
      errorMessageOf({ error: new Error("connect ECONNREFUSED 127.0.0.1:3001"), providerId: "oidc" }),
      "connect ECONNREFUSED 127.0.0.1:3001",
    );
    assert.equal(errorMessageOf({ message: "state mismatch" }), "state mismatch");
    assert.equal(errorMessageOf(undefined), "");
    assert.equal(errorMessageOf({ error: "not an error" }), "");
  });
});
