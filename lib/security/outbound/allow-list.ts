/**
 * OUTBOUND_ALLOWED_HOSTS: the internal targets an operator allowed by name (ADR 0032).
 * Comma-separated entries, each a host name (`hooks.internal`, `*.corp.example` for its
 * subdomains), an IP (`10.0.4.7`, `[fd00::7]`) or a CIDR (`10.20.0.0/16`, `[fd00::/8]`),
 * optionally followed by `:port` (`10.0.4.7:5432`, `[::1]:8080`, `hooks.internal:443`). Pure.
 */
import { inPrefix, parseIpLiteral, type TParsedAddress } from "./addresses";

export type TAllowEntry =
  | { kind: "host"; host: string; wildcard: boolean; port: number | null; text: string }
  | { kind: "cidr"; family: 4 | 6; bytes: Uint8Array; bits: number; port: number | null; text: string };

/** A host name as compared everywhere here: lower case, no trailing dot. */
export const normalizeHostName = (host: string): string => host.trim().toLowerCase().replace(/\.$/, "");

const HOST_NAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

const parsePort = (text: string | undefined): number | null | "bad" => {
  if (text === undefined) return null;
  if (!/^\d{1,5}$/.test(text)) return "bad";
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : "bad";
};

/** One entry, or a message saying what is wrong with it. */
export const parseAllowEntry = (raw: string): TAllowEntry | string => {
  const text = raw.trim();
  let hostPart: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    hostPart = bracketed[1] as string;
    portText = bracketed[2];
  } else if ((text.match(/:/g) ?? []).length > 1) {
    hostPart = text; // a bare IPv6 address or CIDR: no port (use [addr]:port for one)
  } else {
    const colon = text.lastIndexOf(":");
    hostPart = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
  }
  const port = parsePort(portText);
  if (port === "bad") return `"${text}": the port must be a number from 1 to 65535`;

  const slash = hostPart.indexOf("/");
  const addressText = slash === -1 ? hostPart : hostPart.slice(0, slash);
  const literal = parseIpLiteral(addressText);
  if (literal) {
    const maxBits = literal.family === 4 ? 32 : 128;
    const bitsText = slash === -1 ? String(maxBits) : hostPart.slice(slash + 1);
    const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
    if (!(bits >= 0 && bits <= maxBits)) return `"${text}": the prefix length must be 0 to ${maxBits}`;
    if (bits === 0) return `"${text}": a /0 allows every address; name the networks you mean`;
    return { kind: "cidr", family: literal.family, bytes: literal.bytes, bits, port, text };
  }
  if (slash !== -1) return `"${text}": not an IP network (write e.g. 10.20.0.0/16 or [fd00::/8])`;
  const host = normalizeHostName(hostPart);
  if (!HOST_NAME.test(host) || host === "*") return `"${text}": not a host name, IP address or network`;
  return { kind: "host", host: host.replace(/^\*\./, ""), wildcard: host.startsWith("*."), port, text };
};

/** Every entry of the variable, or the problems (each naming its entry). */
export const parseAllowList = (value: string): { entries: TAllowEntry[]; problems: string[] } => {
  const entries: TAllowEntry[] = [];
  const problems: string[] = [];
  for (const item of value.split(",")) {
    if (item.trim() === "") continue;
    const parsed = parseAllowEntry(item);
    if (typeof parsed === "string") problems.push(parsed);
    else entries.push(parsed);
  }
  return { entries, problems };
};

const portMatches = (entry: TAllowEntry, port: number): boolean => entry.port === null || entry.port === port;

/** Whether the operator allowed connecting to this host name on this port, whatever it resolves to. */
export const allowsHostName = (entries: readonly TAllowEntry[], host: string, port: number): boolean => {
  const name = normalizeHostName(host);
  return entries.some(
    (entry) =>
      entry.kind === "host" &&
      portMatches(entry, port) &&
      (entry.wildcard ? name.endsWith(`.${entry.host}`) : name === entry.host),
  );
};

/** Whether the operator allowed this address (or the IPv4 address its IPv6 form carries) on this port. */
export const allowsAddress = (entries: readonly TAllowEntry[], address: TParsedAddress, port: number): boolean =>
  entries.some((entry) => {
    if (entry.kind !== "cidr" || !portMatches(entry, port)) return false;
    const candidates = [address, ...(address.embeddedIpv4 ? [address.embeddedIpv4] : [])];
    return candidates.some(
      (candidate) => candidate.family === entry.family && inPrefix(candidate.bytes, entry.bytes, entry.bits),
    );
  });

/** What development allows when OUTBOUND_ALLOWED_HOSTS is unset: the developer's own machine. */
export const DEVELOPMENT_ALLOWED_HOSTS = "localhost,127.0.0.0/8,[::1]";
