import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { parseAllowList } from "./allow-list";
import { OutboundError, type TOutboundErrorClass } from "./errors";
import { outboundRequest } from "./outbound-request";
import { type TOutboundPolicy, vetOutboundTarget } from "./vet-outbound-target";

/** Real HTTP receivers on loopback: the internal services an attacker would aim at. */
type TReceived = { path: string; headers: IncomingHttpHeaders; body: string };
const received: TReceived[] = [];
let answer: (path: string) => { status: number; headers?: Record<string, string>; body?: string } = () => ({
  status: 200,
});

const listen = async (handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> => {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
};

let receiver: { server: Server; port: number };
let silent: { server: Server; port: number };

before(async () => {
  receiver = await listen((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        path: request.url ?? "/",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const { status, headers, body } = answer(request.url ?? "/");
      response.writeHead(status, headers).end(body ?? "");
    });
  });
  // Accepts and never answers.
  silent = await listen(() => undefined);
});

after(async () => {
  silent.server.closeAllConnections();
  await Promise.all([receiver, silent].map(({ server }) => new Promise((resolve) => server.close(resolve))));
});

beforeEach(() => {
  received.length = 0;
  answer = () => ({ status: 200 });
});

const policy = (value: string): TOutboundPolicy => {
  const { entries, problems } = parseAllowList(value);
  assert.deepEqual(problems, []);
  return { allowed: entries };
};
const NOTHING = policy("");
const LOOPBACK = policy("127.0.0.0/8");

const isOutbound = (errorClass: TOutboundErrorClass) => (error: unknown) =>
  error instanceof OutboundError && error.errorClass === errorClass;

describe("outbound guard against internal addresses (SSRF)", () => {
  it("refuses a loopback receiver when the allow-list does not name it: no connection is made", async () => {
    for (const host of ["127.0.0.1", "[::ffff:127.0.0.1]", "0x7f.1", "2130706433", "127.1", "[::ffff:7f00:1]"]) {
      await assert.rejects(
        outboundRequest({ url: `http://${host}:${receiver.port}/probe`, body: "{}", policy: NOTHING }),
        isOutbound("blocked_address"),
        host,
      );
    }
    assert.equal(received.length, 0, "the receiver heard nothing");
  });

  it("delivers to the same receiver once the allow-list names it, with the URL's Host header", async () => {
    const result = await outboundRequest({
      url: `http://127.0.0.1:${receiver.port}/hook?x=1`,
      headers: { "content-type": "application/json" },
      body: '{"ok":true}',
      policy: LOOPBACK,
    });
    assert.deepEqual([result.status, result.errorClass], [200, null]);
    assert.equal(received.length, 1);
    assert.equal(received[0]?.path, "/hook?x=1");
    assert.equal(received[0]?.body, '{"ok":true}');
    assert.equal(received[0]?.headers.host, `127.0.0.1:${receiver.port}`);
  });

  it("refuses a host name that resolves to loopback, unless the name itself is allowed", async () => {
    await assert.rejects(
      outboundRequest({ url: `http://localhost:${receiver.port}/`, policy: NOTHING }),
      (error: unknown) => isOutbound("blocked_address")(error) && /loopback/.test((error as Error).message),
    );
    await assert.rejects(
      vetOutboundTarget({ host: "localhost", port: receiver.port }, policy("other.internal")),
      isOutbound("blocked_address"),
    );
    const vetted = await vetOutboundTarget({ host: "LOCALHOST.", port: receiver.port }, policy("localhost"));
    assert.match(vetted.address, /^(127\.|::1$)/, "the pinned address is the one that was vetted");
    assert.equal(received.length, 0);
  });

  it("an allow-list entry with a port allows that port only", async () => {
    await assert.rejects(
      outboundRequest({ url: `http://127.0.0.1:${receiver.port}/`, policy: policy(`127.0.0.1:${receiver.port + 1}`) }),
      isOutbound("blocked_address"),
    );
    const ok = await outboundRequest({
      url: `http://127.0.0.1:${receiver.port}/`,
      policy: policy(`127.0.0.1:${receiver.port}`),
    });
    assert.equal(ok.status, 200);
  });

  it("does not follow a redirect, even to an allowed address", async () => {
    answer = (path) =>
      path === "/moved"
        ? { status: 302, headers: { location: `http://127.0.0.1:${receiver.port}/target` } }
        : { status: 200 };
    const result = await outboundRequest({ url: `http://127.0.0.1:${receiver.port}/moved`, policy: LOOPBACK });
    assert.deepEqual([result.status, result.errorClass], [302, "redirect"]);
    assert.deepEqual(
      received.map((entry) => entry.path),
      ["/moved"],
      "the Location was never requested",
    );
  });

  it("never hands back the receiver's answer, only its class", async () => {
    answer = () => ({ status: 500, body: "redis_version:7.0.15 secret-internal-detail" });
    const result = await outboundRequest({ url: `http://127.0.0.1:${receiver.port}/`, policy: LOOPBACK });
    assert.equal(result.errorClass, "http_5xx");
    assert.doesNotMatch(JSON.stringify(result), /secret-internal-detail/);
  });

  it("classifies a refused connection and a receiver that never answers, within the timeout", async () => {
    const closed = await listen(() => undefined);
    await new Promise((resolve) => closed.server.close(resolve));
    await assert.rejects(
      outboundRequest({ url: `http://127.0.0.1:${closed.port}/`, policy: LOOPBACK }),
      isOutbound("refused"),
    );
    const started = Date.now();
    await assert.rejects(
      outboundRequest({ url: `http://127.0.0.1:${silent.port}/`, policy: LOOPBACK, timeoutMs: 300 }),
      isOutbound("timeout"),
    );
    assert.ok(Date.now() - started < 3_000, "bounded by the timeout");
  });

  it("refuses cloud metadata, private and IPv6 internal targets without connecting (vetOutboundTarget)", async () => {
    for (const host of ["169.254.169.254", "fd00:ec2::254", "[fe80::1]", "10.1.2.3", "100.64.0.1", "0.0.0.0", "::"]) {
      await assert.rejects(vetOutboundTarget({ host, port: 80 }, NOTHING), isOutbound("blocked_address"), host);
    }
    await assert.rejects(vetOutboundTarget({ host: "10.1.2.3", port: 0 }, NOTHING), isOutbound("blocked_address"));
    await assert.rejects(vetOutboundTarget({ host: "no-such-host.invalid", port: 443 }, NOTHING), isOutbound("dns"));
    const publicTarget = await vetOutboundTarget({ host: "8.8.8.8", port: 5432 }, NOTHING);
    assert.deepEqual(publicTarget, { host: "8.8.8.8", port: 5432, address: "8.8.8.8", family: 4 });
  });
});
