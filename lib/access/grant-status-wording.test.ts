import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeRevocation } from "./grant-status";

const own = { subjectId: "u1", subjectName: "Alice", revokedById: "u1", revokeReason: "ended early by the subject" };

describe("describeRevocation", () => {
  it("tells the holder they ended it, and others who did, never 'revoked'", () => {
    assert.equal(describeRevocation(own, "u1"), "ended early by you");
    assert.equal(describeRevocation(own, "u2"), "ended early by Alice");
  });

  it("names who revoked someone else's grant, and why", () => {
    const revoked = { subjectId: "u1", revokedById: "u9", revokedByName: "Sam", revokeReason: "incident closed" };
    assert.equal(describeRevocation(revoked, "u1"), "revoked by Sam: incident closed");
    assert.equal(
      describeRevocation({ ...revoked, revokedById: null, revokedByName: null }),
      "revoked: incident closed",
    );
  });
});
