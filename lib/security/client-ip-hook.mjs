// @ts-check
/**
 * The client's address, decided once per HTTP request before Next.js sees it. Next's server
 * keeps an `X-Forwarded-For` a client sent and adds the connection's address only when there
 * is none, so without this anyone could claim any address (and slip past per-IP limits, or
 * write a false `source.ip` into the audit log). Here, at the `http.server.request.start`
 * diagnostics channel (before any 'request' listener runs), the header is replaced by exactly
 * one address:
 *
 * - TRUST_PROXY=0 (the default): the address of the TCP peer. Whatever the client wrote is
 *   dropped.
 * - TRUST_PROXY=N: N proxies of yours stand in front and each appends the address it saw. Of
 *   the chain (the header's entries, then the peer), the entry N from the right is the
 *   address your outermost proxy saw; entries left of it are the client's own claims.
 *
 * Plain JavaScript because the standalone web server runs no TypeScript loader: lib/cli/start.ts
 * and lib/cli/dev.ts load it with `node --import`. Types: client-ip-hook.d.mts.
 */
import { subscribe } from "node:diagnostics_channel";
import { clientIpFrom, setClientIp } from "./client-ip.mjs";

export { clientIpFrom, setClientIp };

/** @param {unknown} value */
const trustedHopsFrom = (value) => {
  const hops = Number.parseInt(String(value ?? "0"), 10);
  return Number.isInteger(hops) && hops > 0 ? hops : 0;
};

const installed = Symbol.for("jit.clientIpHook");
const state = /** @type {Record<symbol, boolean>} */ (/** @type {unknown} */ (globalThis));
if (!state[installed]) {
  state[installed] = true;
  const trustedHops = trustedHopsFrom(process.env.TRUST_PROXY);
  subscribe("http.server.request.start", (message) => {
    const { request, socket } =
      /** @type {{ request: import("node:http").IncomingMessage; socket: import("node:net").Socket }} */ (message);
    const header = request.headers["x-forwarded-for"];
    setClientIp(
      request,
      clientIpFrom({
        forwardedFor: Array.isArray(header) ? header.join(",") : header,
        peer: socket.remoteAddress,
        trustedHops,
      }),
    );
  });
}
