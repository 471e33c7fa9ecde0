// @ts-check
/**
 * The client's address from X-Forwarded-For and the TCP peer, trusting a given number of proxies
 * of yours: pure functions, no side effect on import. The web server applies them to every
 * request through its hook (client-ip-hook.mjs); the services API server (api/server.ts) calls
 * `clientIpFrom` itself, with its own count of trusted hops. Plain JavaScript because the
 * standalone web server runs no TypeScript loader. Types: client-ip.d.mts.
 */
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
