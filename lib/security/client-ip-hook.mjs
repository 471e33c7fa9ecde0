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
import { isIP } from "node:net";

/** @param {string} address */
const normalise = (address) => {
  const trimmed = address.trim();
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; it is the IPv4 address.
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  return mapped?.[1] ?? trimmed;
};

/**
 * @param {{ forwardedFor: string | undefined; peer: string | undefined; trustedHops: number }} options
 * @returns {string | null}
 */
export const clientIpFrom = ({ forwardedFor, peer, trustedHops }) => {
  const remote = peer ? normalise(peer) : null;
  if (trustedHops <= 0 || !forwardedFor) return remote;
  const chain = [
    ...forwardedFor
      .split(",")
      .map(normalise)
      .filter((entry) => entry !== ""),
    ...(remote ? [remote] : []),
  ];
  // Garbage where an address should be: the next entry to the right is one a proxy wrote.
  for (let index = Math.max(0, chain.length - 1 - trustedHops); index < chain.length; index += 1) {
    const entry = chain[index];
    if (entry !== undefined && isIP(entry) !== 0) return entry;
  }
  return remote;
};

/** @param {unknown} value */
const trustedHopsFrom = (value) => {
  const hops = Number.parseInt(String(value ?? "0"), 10);
  return Number.isInteger(hops) && hops > 0 ? hops : 0;
};

const SPOOFABLE = new Set(["x-forwarded-for", "x-real-ip"]);

/**
 * @param {import("node:http").IncomingMessage} request
 * @param {string | null} ip
 */
export const setClientIp = (request, ip) => {
  for (const name of SPOOFABLE) delete request.headers[name];
  if (ip) request.headers["x-forwarded-for"] = ip;
  // Anything that reads the raw list sees the same.
  const raw = [];
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] ?? "";
    if (!SPOOFABLE.has(name.toLowerCase())) raw.push(name, request.rawHeaders[index + 1] ?? "");
  }
  if (ip) raw.push("X-Forwarded-For", ip);
  request.rawHeaders.splice(0, request.rawHeaders.length, ...raw);
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
