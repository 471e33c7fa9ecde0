/**
 * The one place connectors open connections to their targets. Every connector goes through
 * `openTarget` before it connects, so the outbound rule (no internal address unless an operator
 * allowed it by name) is enforced here and nowhere else.
 *
 * MERGE POINT: wire `vetOutbound` from lib/security/outbound.ts (branch `ssrf`) into
 * `vetTarget` below; until then every host is allowed.
 */

export type TTargetAddress = { host: string; port: number };

/** Throws when the address may not be reached; resolves when it may. */
const vetTarget = async (_address: TTargetAddress): Promise<void> => {
  // MERGE POINT (ssrf): `await vetOutbound(_address)` from lib/security/outbound.ts.
};

/** Vets a URL's host and port (default port by scheme) before the caller connects to it. */
export const openTarget = async (url: string, defaultPort: number): Promise<TTargetAddress> => {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  const address = { host, port };
  await vetTarget(address);
  return address;
};
