import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { identityFromClaims, identityOptions } from "./claims";

const ISSUER = "https://idp.example.com";
const options = identityOptions(ISSUER, {
  groupsClaim: "groups",
  emailVerifiedClaim: "email_verified",
  trustEmailIssuers: [],
});

describe("identity from ID token claims", () => {
  it("takes an e-mail the IdP says is verified, lower-cased", () => {
    const identity = identityFromClaims(
      { sub: "u1", email: "Alice@Example.com", email_verified: true, name: "Alice", groups: ["b", "a", "a"] },
      options,
    );
    assert.deepEqual(identity, {
      subject: "u1",
      email: "alice@example.com",
      claimedEmail: null,
      name: "Alice",
      groups: ["a", "b"],
    });
  });

  it("attaches no e-mail the IdP does not vouch for: missing, false, or another claim's say-so", () => {
    for (const claims of [
      { sub: "u2", email: "victim@example.com" },
      { sub: "u2", email: "victim@example.com", email_verified: false },
      { sub: "u2", email: "victim@example.com", email_verified: "false" },
      { sub: "u2", email: "victim@example.com", email_verified: 1 },
    ]) {
      const identity = identityFromClaims(claims, options);
      assert.equal(identity.email, null, JSON.stringify(claims));
      assert.equal(identity.claimedEmail, "victim@example.com");
      assert.notEqual(identity.name, "victim@example.com", "not even as the display name");
    }
  });

  it("never turns preferred_username, upn or sub into an e-mail", () => {
    const identity = identityFromClaims(
      { sub: "victim@example.com", preferred_username: "victim@example.com", upn: "victim@example.com" },
      options,
    );
    assert.equal(identity.email, null);
    assert.equal(identity.name, "victim@example.com", "a display name only");
  });

  it("reads the verified flag from the configured claim, and accepts the string 'true'", () => {
    const custom = identityOptions(ISSUER, {
      groupsClaim: "groups",
      emailVerifiedClaim: "xms_edov",
      trustEmailIssuers: [],
    });
    assert.equal(
      identityFromClaims({ sub: "u3", email: "c@example.com", xms_edov: true }, custom).email,
      "c@example.com",
    );
    assert.equal(identityFromClaims({ sub: "u3", email: "c@example.com", email_verified: true }, custom).email, null);
    assert.equal(
      identityFromClaims({ sub: "u3", email: "c@example.com", email_verified: "true" }, options).email,
      "c@example.com",
    );
  });

  it("trusts a named issuer's e-mails outright, and only that issuer's", () => {
    const trusting = identityOptions(ISSUER, {
      groupsClaim: "groups",
      emailVerifiedClaim: "email_verified",
      trustEmailIssuers: [ISSUER],
    });
    assert.equal(identityFromClaims({ sub: "u4", email: "d@example.com" }, trusting).email, "d@example.com");
    const other = { ...trusting, issuer: "https://other.example.com" };
    assert.equal(identityFromClaims({ sub: "u4", email: "d@example.com" }, other).email, null);
  });

  it("refuses a malformed address even when marked verified", () => {
    assert.equal(identityFromClaims({ sub: "u5", email: "not an address", email_verified: true }, options).email, null);
  });
});
