import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { describe, it } from "node:test";
import { clientIpFrom } from "./client-ip-hook.mjs";

describe("the client's address", () => {
  it("is the TCP peer when no proxy is trusted, whatever X-Forwarded-For claims", () => {
    assert.equal(clientIpFrom({ forwardedFor: "203.0.113.7", peer: "198.51.100.20", trustedHops: 0 }), "198.51.100.20");
    assert.equal(clientIpFrom({ forwardedFor: undefined, peer: "::ffff:127.0.0.1", trustedHops: 0 }), "127.0.0.1");
    assert.equal(clientIpFrom({ forwardedFor: undefined, peer: "::1", trustedHops: 0 }), "::1");
    assert.equal(clientIpFrom({ forwardedFor: undefined, peer: undefined, trustedHops: 0 }), null);
  });

  it("is what the outermost trusted proxy saw, never an entry the client wrote before it", () => {
    // client -> ingress (appends the client) -> app: one trusted hop.
    assert.equal(clientIpFrom({ forwardedFor: "192.0.2.50", peer: "10.0.0.5", trustedHops: 1 }), "192.0.2.50");
    // The client sent its own header first; the ingress appended the real address after it.
    assert.equal(clientIpFrom({ forwardedFor: "1.2.3.4, 192.0.2.50", peer: "10.0.0.5", trustedHops: 1 }), "192.0.2.50");
    // Two hops: CDN then ingress.
    assert.equal(
      clientIpFrom({ forwardedFor: "1.2.3.4, 192.0.2.50, 172.16.0.9", peer: "10.0.0.5", trustedHops: 2 }),
      "192.0.2.50",
    );
    // Fewer entries than hops (a probe straight to the pod): the leftmost there is.
    assert.equal(clientIpFrom({ forwardedFor: undefined, peer: "10.0.0.5", trustedHops: 1 }), "10.0.0.5");
    assert.equal(clientIpFrom({ forwardedFor: "192.0.2.50", peer: "10.0.0.5", trustedHops: 3 }), "192.0.2.50");
    // Not an address where one should be: the next entry a proxy wrote.
    assert.equal(
      clientIpFrom({ forwardedFor: "<script>, 192.0.2.50", peer: "10.0.0.5", trustedHops: 2 }),
      "192.0.2.50",
    );
    assert.equal(clientIpFrom({ forwardedFor: "2001:db8::7", peer: "10.0.0.5", trustedHops: 1 }), "2001:db8::7");
  });

  it("replaces X-Forwarded-For and drops X-Real-IP before a request handler sees them", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      response.end(JSON.stringify(request.rawHeaders));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { "x-forwarded-for": "203.0.113.7, 10.1.1.1", "x-real-ip": "203.0.113.8" },
      });
      const raw = (await response.json()) as string[];
      assert.equal(seen[0]?.["x-forwarded-for"], "127.0.0.1");
      assert.equal(seen[0]?.["x-real-ip"], undefined);
      assert.ok(!raw.some((entry) => entry.includes("203.0.113")), raw.join(" "));
    } finally {
      server.close();
    }
  });
});
