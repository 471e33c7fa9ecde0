import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from "@simplewebauthn/server";
import { createSoftwareAuthenticator } from "./software-authenticator";

const origin = "http://localhost:3000";
const rpID = "localhost";

const registered = async (userVerified = true) => {
  const authenticator = createSoftwareAuthenticator({ origin, rpId: rpID, userVerified });
  const options = await generateRegistrationOptions({
    rpName: "Test",
    rpID,
    userName: "alice@example.com",
    userID: new TextEncoder().encode("user-1"),
    attestationType: "none",
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
  });
  const response = authenticator.register(options);
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: userVerified,
  });
  assert.ok(verification.verified);
  return { authenticator, credential: verification.registrationInfo.credential, info: verification.registrationInfo };
};

const verifyAssertion = async (options: {
  credential: WebAuthnCredential;
  assertion: ReturnType<ReturnType<typeof createSoftwareAuthenticator>["assert"]>;
  challenge: string;
}) =>
  verifyAuthenticationResponse({
    response: options.assertion,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    credential: options.credential,
    requireUserVerification: true,
  });

describe("software authenticator", () => {
  it("registers a credential that simplewebauthn verifies (fmt none, ES256, UV)", async () => {
    const { authenticator, credential, info } = await registered();
    assert.equal(info.fmt, "none");
    assert.equal(info.userVerified, true);
    assert.equal(info.aaguid, "00000000-0000-0000-0000-000000000000");
    assert.equal(credential.id, authenticator.credentials()[0]?.id);
    assert.equal(credential.counter, 0);
    assert.deepEqual(credential.transports, ["internal"]);
  });

  it("produces assertions that simplewebauthn verifies, with an increasing counter", async () => {
    const { authenticator, credential } = await registered();
    let stored = credential;
    for (const expected of [1, 2]) {
      const options = await generateAuthenticationOptions({
        rpID,
        allowCredentials: [{ id: credential.id }],
        userVerification: "required",
      });
      const assertion = authenticator.assert(options);
      const result = await verifyAssertion({ credential: stored, assertion, challenge: options.challenge });
      assert.ok(result.verified);
      assert.equal(result.authenticationInfo.newCounter, expected);
      assert.equal(result.authenticationInfo.userVerified, true);
      stored = { ...stored, counter: result.authenticationInfo.newCounter };
    }
  });

  it("refuses to register twice when the server excludes its credential", async () => {
    const { authenticator, credential } = await registered();
    const options = await generateRegistrationOptions({
      rpName: "Test",
      rpID,
      userName: "a",
      excludeCredentials: [{ id: credential.id }],
    });
    assert.throws(() => authenticator.register(options), { name: "InvalidStateError" });
  });

  it("answers only for credentials the server allows", async () => {
    const { authenticator } = await registered();
    const options = await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: "c29tZW9uZS1lbHNl" }] });
    assert.throws(() => authenticator.assert(options), { name: "NotAllowedError" });
    // An attacker's client answers anyway, with its own credential.
    assert.equal(
      authenticator.assert(options, { ignoreAllowCredentials: true }).id,
      authenticator.credentials()[0]?.id,
    );
  });

  it("overrides make responses that simplewebauthn refuses", async () => {
    const { authenticator, credential } = await registered();
    const fresh = () =>
      generateAuthenticationOptions({ rpID, allowCredentials: [{ id: credential.id }], userVerification: "required" });
    const cases: Array<[string, Parameters<typeof authenticator.assert>[1], RegExp]> = [
      ["origin", { origin: "https://evil.example" }, /origin/i],
      ["rpId", { rpId: "evil.example" }, /RP ID/i],
      ["userVerified", { userVerified: false }, /verif/i],
      ["challenge", { challenge: "b3RoZXItY2hhbGxlbmdl" }, /challenge/i],
    ];
    for (const [name, overrides, message] of cases) {
      const options = await fresh();
      const assertion = authenticator.assert(options, overrides);
      await assert.rejects(verifyAssertion({ credential, assertion, challenge: options.challenge }), message, name);
    }
    const options = await fresh();
    const regressed = authenticator.assert(options, { signCount: 3 });
    await assert.rejects(
      verifyAssertion({
        credential: { ...credential, counter: 5 },
        assertion: regressed,
        challenge: options.challenge,
      }),
      /counter/i,
    );
  });

  it("a tampered signature does not verify", async () => {
    const { authenticator, credential } = await registered();
    const options = await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: credential.id }] });
    const assertion = authenticator.assert(options);
    const other = authenticator.assert(
      await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: credential.id }] }),
    );
    const forged = { ...assertion, response: { ...assertion.response, signature: other.response.signature } };
    const result = await verifyAssertion({ credential, assertion: forged, challenge: options.challenge });
    assert.equal(result.verified, false);
  });

  it("registration without user verification is refused when UV is required", async () => {
    const authenticator = createSoftwareAuthenticator({ origin, rpId: rpID, userVerified: false });
    const options = await generateRegistrationOptions({ rpName: "Test", rpID, userName: "a" });
    await assert.rejects(
      verifyRegistrationResponse({
        response: authenticator.register(options),
        expectedChallenge: options.challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: true,
      }),
      /verif/i,
    );
  });
});
