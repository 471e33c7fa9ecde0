import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seal, unseal } from "./sealed";

const ROOT = "r".repeat(40);

describe("sealed values", () => {
  it("do not open under another purpose's key", () => {
    const sealed = seal("admin-password", { purpose: "connector-credentials", rootSecret: ROOT });
    assert.equal(unseal(sealed, { purpose: "connector-credentials", rootSecret: ROOT }), "admin-password");
    assert.throws(() => unseal(sealed, { purpose: "webhook-secrets", rootSecret: ROOT }), /decryption failed/);
  });
});
