import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateAuthenticationOptions, generateRegistrationOptions } from "@simplewebauthn/server";
import { createSoftwareAuthenticator } from "../testing/software-authenticator";
import { challengeOf } from "./challenges";
import { classifyVerificationError } from "./refusals";
import { ZAuthenticationResponse, ZPasskeyName, ZRegistrationResponse } from "./schemas";

const origin = "http://localhost:3000";
const rpID = "localhost";

const responses = async () => {
  const authenticator = createSoftwareAuthenticator({ origin, rpId: rpID });
  const registration = authenticator.register(await generateRegistrationOptions({ rpName: "T", rpID, userName: "a" }));
  const request = await generateAuthenticationOptions({ rpID });
  return { registration, assertion: authenticator.assert(request), challenge: request.challenge };
};

describe("passkey response schemas", () => {
  it("accept what a browser sends, and drop fields the server does not read", async () => {
    const { registration, assertion } = await responses();
    assert.deepEqual(ZRegistrationResponse.parse(registration), registration);
    assert.deepEqual(ZAuthenticationResponse.parse(assertion), assertion);
    const extra = ZAuthenticationResponse.parse({
      ...assertion,
      somethingNew: 1,
      response: { ...assertion.response, alsoNew: 2 },
    });
    assert.equal("somethingNew" in extra, false);
    assert.equal("alsoNew" in extra.response, false);
    assert.deepEqual(
      ZAuthenticationResponse.parse({ ...assertion, clientExtensionResults: undefined }).clientExtensionResults,
      {},
    );
  });

  it("refuse the wrong type, non-base64url fields, oversized ids and missing signatures", async () => {
    const { assertion } = await responses();
    const bad = [
      { ...assertion, type: "password" },
      { ...assertion, id: "has spaces!", rawId: "has spaces!" },
      { ...assertion, id: "A".repeat(2_000), rawId: "A".repeat(2_000) },
      { ...assertion, response: { ...assertion.response, signature: undefined } },
      { ...assertion, clientExtensionResults: [] },
      "a string",
      null,
    ];
    for (const value of bad)
      assert.equal(ZAuthenticationResponse.safeParse(value).success, false, JSON.stringify(value)?.slice(0, 60));
  });

  it("passkey names are trimmed and 1 to 60 characters", () => {
    assert.equal(ZPasskeyName.parse("  Laptop "), "Laptop");
    assert.equal(ZPasskeyName.safeParse("   ").success, false);
    assert.equal(ZPasskeyName.safeParse("x".repeat(61)).success, false);
  });
});

describe("challenge lookup and error classification", () => {
  it("reads the challenge from clientDataJSON, and nothing from garbage", async () => {
    const { assertion, challenge } = await responses();
    assert.equal(challengeOf(assertion.response.clientDataJSON), challenge);
    for (const garbage of [
      "",
      "bm90IGpzb24",
      Buffer.from("{}").toString("base64url"),
      Buffer.from('{"challenge":5}').toString("base64url"),
    ]) {
      assert.equal(challengeOf(garbage), undefined);
    }
  });

  it("sorts simplewebauthn's errors into reasons a person can act on", () => {
    assert.equal(
      classifyVerificationError(new Error('Unexpected authentication response origin "https://evil", expected "x"')),
      "origin",
    );
    assert.equal(
      classifyVerificationError(Object.assign(new Error("Unexpected RP ID hash"), { name: "UnexpectedRPIDHash" })),
      "rp_id",
    );
    assert.equal(
      classifyVerificationError(new Error("User verification required, but user could not be verified")),
      "user_verification",
    );
    assert.equal(classifyVerificationError(new Error("Response counter value 3 was lower than expected 5")), "counter");
    assert.equal(classifyVerificationError(new Error("something else")), "invalid");
    assert.equal(classifyVerificationError("not an error"), "invalid");
  });
});
