import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeReply, pagePathOf, parseFlight } from "./server-action-wire";

describe("server actions on the wire", () => {
  it("posts to a page of the action's route, dynamic segments filled and route groups dropped", () => {
    assert.equal(pagePathOf("app/(portal)/requests/[id]/page"), "/requests/x");
    assert.equal(pagePathOf("app/(portal)/page"), "/");
    assert.equal(pagePathOf("app/(portal)/request/[resourceKey]/page"), "/request/x");
  });

  it("reads the action's return value from the row the root row points at", () => {
    const answer = ['0:{"a":"$@1","f":"","b":"build"}', '1:{"ok":true,"status":"APPROVED","approvals":1}', ""].join(
      "\n",
    );
    assert.deepEqual(parseFlight(answer), { ok: true, status: "APPROVED", approvals: 1 });
  });

  it("unescapes React's $$ strings and takes an inline value", () => {
    assert.deepEqual(parseFlight('0:{"a":{"message":"$$5 off","fields":{}}}'), { message: "$5 off", fields: {} });
    assert.equal(parseFlight("not a flight answer"), undefined);
  });

  it("reads long strings from text rows, which are length-prefixed and not newline-ended", () => {
    const long = "x".repeat(5000);
    const unicode = "é😀 ".repeat(3);
    const answer = `:HL["/_next/static/chunks/x.css","style"]\n0:{"a":"$@1","b":"build"}\n4:I[97367,["$7"],"OutletBoundary"]\n1:{"message":"refused","values":{"url":"$2","name":"$3"},"at":"$D2026-01-01T00:00:00.000Z"}\n2:T${(5000).toString(16)},${long}3:T${Buffer.byteLength(unicode).toString(16)},${unicode}`;
    assert.deepEqual(parseFlight(answer), {
      message: "refused",
      values: { url: long, name: unicode },
      at: new Date("2026-01-01T00:00:00.000Z"),
    });
  });

  it("follows references to parts of other rows, and gives undefined for an answer it cannot read", () => {
    assert.deepEqual(
      parseFlight('0:{"a":{"first":"$1:first","again":"$1:first:n","none":"$undefined"}}\n1:{"first":{"n":1}}'),
      { first: { n: 1 }, again: 1, none: undefined },
    );
    assert.equal(parseFlight('0:{"a":"$@1"}\n1:{not json'), undefined);
  });

  it("encodes plain arguments as text and FormData arguments as multipart, as the browser does", async () => {
    assert.equal(typeof (await encodeReply(["id", "APPROVE"])), "string");
    const form = new FormData();
    form.append("policyId", "p1");
    assert.ok((await encodeReply([null, form])) instanceof FormData);
  });
});
