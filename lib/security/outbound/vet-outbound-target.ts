import { lookup } from "node:dns/promises";
import { getConfig } from "../../config";
import { withTimeout } from "../../timeout";
import { classifyAddress, type TAddressClass, type TClassifiedAddress } from "./addresses";
import { allowsAddress, allowsHostName, normalizeHostName, type TAllowEntry } from "./allow-list";
import { OutboundError } from "./errors";

/** Which internal targets are allowed (OUTBOUND_ALLOWED_HOSTS, parsed). Tests pass their own. */
export type TOutboundPolicy = { allowed: readonly TAllowEntry[] };

export type TVettedTarget = {
  /** The host as given (a name or an IP literal), for the Host header and TLS server name. */
  host: string;
  port: number;
  /** The address to connect to: checked here, so connect to it, never resolve `host` again. */
  address: string;
  family: 4 | 6;
};

const DNS_TIMEOUT_MS = 5_000;

const policyFromConfig = (): TOutboundPolicy => ({ allowed: getConfig().outbound.allowed });

const CLASS_WORDS: Record<Exclude<TAddressClass, "public">, string> = {
  loopback: "a loopback address",
  private: "a private network address",
  link_local: "a link-local address (this includes cloud metadata services)",
  cgnat: "a carrier-grade NAT address",
  ula: "a unique local IPv6 address",
  unspecified: "an unspecified address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved address",
};

const blocked = (host: string, port: number, address: TClassifiedAddress): OutboundError =>
  new OutboundError(
    "blocked_address",
    `${host}:${port} is ${CLASS_WORDS[address.class as Exclude<TAddressClass, "public">]} (${address.address}); ` +
      "outbound calls reach internal addresses only when OUTBOUND_ALLOWED_HOSTS names them.",
  );

const resolve = async (host: string): Promise<Array<{ address: string; family: number }>> => {
  try {
    return await withTimeout(
      lookup(host, { all: true, verbatim: true }),
      DNS_TIMEOUT_MS,
      () => new OutboundError("dns", `${host} did not resolve within ${DNS_TIMEOUT_MS / 1000} s.`),
    );
  } catch (error) {
    if (error instanceof OutboundError) throw error;
    throw new OutboundError(
      "dns",
      `${host} does not resolve (${(error as { code?: string }).code ?? "lookup failed"}).`,
    );
  }
};

/**
 * Vets a host and port before any outbound connection (webhooks, the chat webhook, and
 * connectors: call it before opening a PostgreSQL or SSH connection). Resolves the host and
 * refuses it, with an OutboundError (an AppError: INVALID_INPUT, `fields.target =
 * "blocked_address"` or `"dns"`), when any address it resolves to is loopback, private
 * (RFC 1918), link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10),
 * carrier-grade NAT (100.64.0.0/10), unique local (fc00::/7 with fd00:ec2::254), unspecified,
 * multicast, broadcast or reserved, in any spelling (IPv4-mapped and other IPv6 forms of
 * those, `0x7f.1`, `2130706433`), unless OUTBOUND_ALLOWED_HOSTS names the host, the address
 * or its network (and the port, when the entry has one).
 *
 * Returns the address to connect to. Connect to that address, not to the name, so a second
 * DNS answer (rebinding) cannot swap in another machine; keep `host` for TLS (server name,
 * certificate check) and the Host header. Call it again for every new connection.
 */
export const vetOutboundTarget = async (
  target: { host: string; port: number },
  policy: TOutboundPolicy = policyFromConfig(),
): Promise<TVettedTarget> => {
  const host = normalizeHostName(target.host.replace(/^\[(.*)\]$/, "$1"));
  const { port } = target;
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new OutboundError("blocked_address", `${port} is not a valid port.`);
  if (host === "") throw new OutboundError("dns", "The target has no host.");
  const literal = classifyAddress(host);
  const candidates: TClassifiedAddress[] = literal
    ? [literal]
    : (await resolve(host)).flatMap((answer) => {
        const classified = classifyAddress(answer.address);
        return classified ? [classified] : [];
      });
  if (candidates.length === 0) throw new OutboundError("dns", `${host} does not resolve to any address.`);
  // Allowed by name: the operator vouches for whatever this name points at.
  const byName = !literal && allowsHostName(policy.allowed, host, port);
  // Every answer is checked, not only the first: a name that resolves to a public and an
  // internal address is refused rather than left to the order of the answers.
  for (const candidate of candidates) {
    if (candidate.class !== "public" && !byName && !allowsAddress(policy.allowed, candidate, port))
      throw blocked(host, port, candidate);
  }
  const chosen = candidates[0] as TClassifiedAddress;
  return { host, port, address: chosen.address, family: chosen.family };
};
