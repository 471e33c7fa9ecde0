import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fcOptions, hostileJson } from "../testing/hostile";
import { checkServerActionBody, jsonDepth, MAX_ACTION_BODY_BYTES, MAX_ACTION_JSON_DEPTH } from "./action-body";

type TEncodeReply = (value: unknown) => Promise<string | FormData>;
const { encodeReply } = createRequire(import.meta.url)("next/dist/compiled/react-server-dom-webpack/client.node") as {
  encodeReply: TEncodeReply;
};

const actionRequest = (body: string | FormData, headers: Record<string, string> = { "next-action": "00ab" }): Request =>
  new Request("http://localhost/request/x", {
    method: "POST",
    headers: typeof body === "string" ? { "content-type": "text/plain;charset=UTF-8", ...headers } : headers,
    body,
  });

describe("server-action bodies Next.js cannot decode are refused before it tries", () => {
  it("measures JSON depth without parsing, ignoring brackets inside strings", () => {
    assert.equal(jsonDepth("1"), 0);
    assert.equal(jsonDepth('[{"a":[1]}]'), 3);
    assert.equal(jsonDepth('["[[[[", "\\"[["]'), 1);
    assert.equal(jsonDepth("[".repeat(100_000)), 100_000);
  });

  it("passes what React's own encoder sends: plain values, objects, FormData arguments", async () => {
    const form = new FormData();
    form.append("justification", "because INC-1");
    form.append("permissions", "read");
    for (const args of [
      [],
      ["abc"],
      [{ requestId: "r1", decision: "APPROVE", assertion: { id: "x" } }],
      [null, form],
      ["$dollar", new Date(0), 12n],
    ]) {
      const body = await encodeReply(args);
      assert.deepEqual(await checkServerActionBody(actionRequest(body)), { ok: true }, `refused ${String(body)}`);
    }
  });

  it("refuses text that is not JSON, too deep, or refers to rows it does not carry, with 400 and a reason", async () => {
    for (const [body, reason] of [
      ["garbage", /not valid JSON/],
      ["{", /not valid JSON/],
      ["", /not valid JSON/],
      ["[".repeat(50_000), /deeper than/],
      [`${"[".repeat(MAX_ACTION_JSON_DEPTH + 1)}${"]".repeat(MAX_ACTION_JSON_DEPTH + 1)}`, /deeper than/],
      ['["$1"]', /missing part/],
      ["0", /not a list/],
      ['{"a":1}', /not a list/],
      ['"x"', /not a list/],
      ['["$T"]', /unsupported reference/],
      ['[{"a":"$h0"}]', /unsupported reference/],
    ] as const) {
      const verdict = await checkServerActionBody(actionRequest(body));
      assert.equal(verdict.ok, false, body.slice(0, 20));
      if (!verdict.ok) {
        assert.equal(verdict.status, 400);
        assert.match(verdict.reason, reason);
      }
    }
  });

  it("refuses a body over 1 MB with 413, by its declared length or by what arrives", async () => {
    const big = JSON.stringify(["x".repeat(MAX_ACTION_BODY_BYTES)]);
    const verdict = await checkServerActionBody(actionRequest(big));
    assert.deepEqual(verdict.ok ? null : verdict.status, 413);
    const declared = await checkServerActionBody(
      new Request("http://localhost/x", {
        method: "POST",
        headers: { "next-action": "1", "content-length": String(MAX_ACTION_BODY_BYTES + 1) },
        body: "[]",
      }),
    );
    assert.equal(declared.ok ? null : declared.status, 413);
  });

  it("checks multipart rows: root present, JSON, references to rows that exist; form posts' bound arguments too", async () => {
    const multipart = (fields: Record<string, string>) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      return form;
    };
    assert.equal((await checkServerActionBody(actionRequest(multipart({ "0": "garbage" })))).ok, false);
    assert.equal((await checkServerActionBody(actionRequest(multipart({ "1": "[]" })))).ok, false);
    assert.equal((await checkServerActionBody(actionRequest(multipart({ "0": '["$3"]' })))).ok, false);
    assert.equal((await checkServerActionBody(actionRequest(multipart({ "0": '["$1"]', "1": "[]" })))).ok, true);
    assert.equal((await checkServerActionBody(actionRequest(multipart({ "0": '"$1"', "1": "[]" })))).ok, false);
    assert.equal(
      (await checkServerActionBody(actionRequest(multipart({ $ACTION_REF_1: "", "$ACTION_1:0": "{garbage" }), {}))).ok,
      false,
    );
    assert.equal(
      (await checkServerActionBody(actionRequest(multipart({ $ACTION_ID_00ab: "", justification: "{garbage" }), {})))
        .ok,
      true,
    );
    // Part headers Next's parser refuses ("Malformed part header"): a raw line break in a name.
    const raw =
      '--x\r\nContent-Disposition: form-data; name="0"\r\n\r\n[]\r\n--x\r\nContent-Disposition: form-data; name="_1_a\r\nb"\r\n\r\nv\r\n--x--\r\n';
    const malformed = new Request("http://localhost/x", {
      method: "POST",
      headers: { "next-action": "1", "content-type": "multipart/form-data; boundary=x" },
      body: raw,
    });
    assert.equal((await checkServerActionBody(malformed)).ok, false);
    const noBoundary = new Request("http://localhost/x", {
      method: "POST",
      headers: { "next-action": "1", "content-type": "multipart/form-data" },
      body: "x",
    });
    assert.equal((await checkServerActionBody(noBoundary)).ok, false);
  });

  it("leaves other requests alone: GET, and POSTs that are not server actions", async () => {
    assert.equal((await checkServerActionBody(new Request("http://localhost/x"))).ok, true);
    assert.equal(
      (
        await checkServerActionBody(
          new Request("http://localhost/x", {
            method: "POST",
            body: "garbage",
            headers: { "content-type": "text/plain" },
          }),
        )
      ).ok,
      true,
    );
  });

  it("never throws, whatever the text (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          hostileJson().map((value) => JSON.stringify(value) ?? ""),
        ),
        async (body) => {
          const verdict = await checkServerActionBody(actionRequest(body));
          if (!verdict.ok) assert.ok(verdict.reason.length > 0 && (verdict.status === 400 || verdict.status === 413));
        },
      ),
      fcOptions(200),
    );
  });

  it("accepts every encoding of plain data React produces (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileJson(), { maxLength: 3 }), async (args) => {
        const body = await encodeReply(args);
        assert.deepEqual(await checkServerActionBody(actionRequest(body)), { ok: true });
      }),
      fcOptions(100),
    );
  });
});
