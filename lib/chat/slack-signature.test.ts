import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { slackSignature, verifySlackSignature } from "./slack-signature";

// The example of Slack's "Verifying requests from Slack" page
// (https://api.slack.com/authentication/verifying-requests-from-slack): its signing secret,
// timestamp, slash-command body and the signature Slack shows for them.
const EXAMPLE = {
  signingSecret: "8f742231b10e8888abcd99yyyzzz85a5",
  timestamp: "1531420618",
  rawBody:
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
  signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
};
const AT_EXAMPLE = 1531420618 + 10;

describe("Slack request signatures (v0)", () => {
  it("computes the signature Slack publishes for its example request", () => {
    assert.equal(slackSignature(EXAMPLE), EXAMPLE.signature);
  });

  it("accepts Slack's example at its own time", () => {
    assert.deepEqual(verifySlackSignature({ ...EXAMPLE, nowSeconds: AT_EXAMPLE }), { ok: true });
  });

  it("refuses the same request replayed more than five minutes later", () => {
    assert.deepEqual(verifySlackSignature({ ...EXAMPLE, nowSeconds: 1531420618 + 301 }), {
      ok: false,
      reason: "stale_timestamp",
    });
    assert.deepEqual(verifySlackSignature({ ...EXAMPLE, nowSeconds: 1531420618 - 301 }), {
      ok: false,
      reason: "stale_timestamp",
    });
  });

  it("refuses a tampered body, a moved timestamp, another secret and a truncated signature", () => {
    const refused = { ok: false, reason: "bad_signature" };
    assert.deepEqual(
      verifySlackSignature({
        ...EXAMPLE,
        rawBody: EXAMPLE.rawBody.replace("roadrunner", "coyote"),
        nowSeconds: AT_EXAMPLE,
      }),
      refused,
    );
    assert.deepEqual(verifySlackSignature({ ...EXAMPLE, timestamp: "1531420619", nowSeconds: AT_EXAMPLE }), refused);
    assert.deepEqual(
      verifySlackSignature({ ...EXAMPLE, signingSecret: "another-secret-of-32-characters!", nowSeconds: AT_EXAMPLE }),
      refused,
    );
    assert.deepEqual(
      verifySlackSignature({ ...EXAMPLE, signature: EXAMPLE.signature.slice(0, -2), nowSeconds: AT_EXAMPLE }),
      refused,
    );
  });

  it("refuses missing headers and a timestamp that is not a number", () => {
    assert.deepEqual(verifySlackSignature({ ...EXAMPLE, signature: null, nowSeconds: AT_EXAMPLE }), {
      ok: false,
      reason: "missing_headers",
    });
    assert.deepEqual(verifySlackSignature({ ...EXAMPLE, timestamp: "1e9", nowSeconds: AT_EXAMPLE }), {
      ok: false,
      reason: "bad_timestamp",
    });
  });
});
