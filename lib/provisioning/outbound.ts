/**
 * The one place connectors open connections to their targets. Every connector goes through
 * `openTarget` before it connects, so the outbound rule (no internal address unless an operator
 * allowed it by name in OUTBOUND_ALLOWED_HOSTS, ADR 0032) is enforced here and nowhere else.
 */
import { vetOutboundTarget } from "../security/outbound";

export type TTargetAddress = { host: string; port: number };

/**
 * Vets a URL's host and port (default port by scheme) and answers the vetted address to connect
 * to, so a name cannot resolve elsewhere between the check and the connection (DNS rebinding).
 * Throws an OutboundError (an AppError) when the target may not be reached.
 */
export const openTarget = async (url: string, defaultPort: number): Promise<TTargetAddress> => {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  const vetted = await vetOutboundTarget({ host, port });
  return { host: vetted.address, port: vetted.port };
};
