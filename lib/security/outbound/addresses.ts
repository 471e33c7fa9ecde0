/**
 * What kind of address an IP is, for the outbound guard (ADR 0032). Pure: no DNS, no sockets.
 *
 * Hosts come in many spellings that all reach the same machine: `0x7f.1`, `2130706433` and
 * `0177.0.0.1` are 127.0.0.1 to the C resolver (inet_aton), `[::ffff:127.0.0.1]` and
 * `[::ffff:7f00:1]` are 127.0.0.1 to the kernel, and 6to4 or NAT64 prefixes carry an IPv4
 * address inside an IPv6 one. Each is reduced to its bytes before it is classified, so no
 * spelling gets past as "not an IP" or "public".
 */
import { isIPv6 } from "node:net";

export type TAddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "ula"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "reserved";

export type TParsedAddress = {
  /** Canonical text: dotted quad, or RFC 5952 IPv6 as Node prints it. */
  address: string;
  family: 4 | 6;
  bytes: Uint8Array;
  /** The IPv4 address an IPv6 form carries (mapped, compatible, NAT64, 6to4), if any. */
  embeddedIpv4?: TParsedAddress;
};

export type TClassifiedAddress = TParsedAddress & { class: TAddressClass };

/** One part of a loose IPv4 (inet_aton): decimal, 0-prefixed octal or 0x-prefixed hex. */
const loosePart = (part: string): number | null => {
  if (/^0x[0-9a-f]+$/i.test(part)) return Number.parseInt(part.slice(2), 16);
  if (/^0[0-7]*$/.test(part)) return Number.parseInt(part, 8);
  if (/^[1-9][0-9]*$/.test(part)) return Number.parseInt(part, 10);
  return null;
};

/**
 * IPv4 as inet_aton reads it (what getaddrinfo, and so `dns.lookup`, accepts for a "host
 * name"): 1 to 4 parts, the last one filling the remaining bytes. `127.1`, `0x7f.1`,
 * `2130706433` and `0177.0.0.01` are all 127.0.0.1. Null when it is not an IPv4 address.
 */
export const parseIpv4 = (text: string): TParsedAddress | null => {
  const parts = text.split(".");
  if (parts.length < 1 || parts.length > 4) return null;
  const values = parts.map(loosePart);
  if (values.some((value) => value === null || !Number.isSafeInteger(value))) return null;
  const numbers = values as number[];
  const last = numbers[numbers.length - 1] as number;
  const leading = numbers.slice(0, -1);
  if (leading.some((value) => value > 255)) return null;
  if (last >= 2 ** (8 * (5 - numbers.length))) return null;
  let value = last;
  leading.forEach((part, index) => {
    value += part * 2 ** (8 * (3 - index));
  });
  const bytes = new Uint8Array([(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);
  return { address: bytes.join("."), family: 4, bytes };
};

const ipv4FromBytes = (bytes: Uint8Array): TParsedAddress => ({
  address: Array.from(bytes).join("."),
  family: 4,
  bytes: Uint8Array.from(bytes),
});

const formatIpv6 = (bytes: Uint8Array): string => {
  const groups = Array.from(
    { length: 8 },
    (_, index) => ((bytes[2 * index] as number) << 8) | (bytes[2 * index + 1] as number),
  );
  // RFC 5952: the longest run (2 or more) of zero groups becomes "::".
  let best = { start: -1, length: 0 };
  for (let start = 0; start < 8;) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end += 1;
    if (end - start > best.length) best = { start, length: end - start };
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.length < 2) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
};

/** An IPv6 literal, with or without brackets and zone id, to its 16 bytes; null otherwise. */
const ipv6Bytes = (text: string): Uint8Array | null => {
  const bare = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  if (!isIPv6(bare)) return null;
  const halves = bare.split("::");
  const groupsOf = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    for (const piece of half.split(":")) {
      if (piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (!v4 || !/^\d+\.\d+\.\d+\.\d+$/.test(piece)) return null;
        out.push(((v4.bytes[0] as number) << 8) | (v4.bytes[1] as number));
        out.push(((v4.bytes[2] as number) << 8) | (v4.bytes[3] as number));
      } else out.push(Number.parseInt(piece, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? "");
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? "") : [];
  if (!head || !tail) return null;
  const zeros = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<number>(zeros).fill(0), ...tail];
  if (groups.length !== 8) return null;
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[2 * index] = group >> 8;
    bytes[2 * index + 1] = group & 255;
  });
  return bytes;
};

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean =>
  prefix.every((value, index) => bytes[index] === value);

/** The IPv4 address an IPv6 one stands for, where the network would deliver it to that IPv4 host. */
const embeddedIpv4Of = (bytes: Uint8Array): TParsedAddress | undefined => {
  const zeros = (count: number) => bytes.subarray(0, count).every((value) => value === 0);
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated but still routed by some stacks).
  if (zeros(10) && bytes[10] === 0xff && bytes[11] === 0xff) return ipv4FromBytes(bytes.subarray(12));
  if (zeros(12)) return ipv4FromBytes(bytes.subarray(12));
  // ::ffff:0:a.b.c.d (SIIT, RFC 2765).
  if (zeros(8) && bytes[8] === 0xff && bytes[9] === 0xff && bytes[10] === 0 && bytes[11] === 0)
    return ipv4FromBytes(bytes.subarray(12));
  // 64:ff9b::/96 (NAT64 well-known prefix).
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b]) && bytes.subarray(4, 12).every((value) => value === 0))
    return ipv4FromBytes(bytes.subarray(12));
  // 2002:AABB:CCDD::/48 (6to4).
  if (startsWith(bytes, [0x20, 0x02])) return ipv4FromBytes(bytes.subarray(2, 6));
  return undefined;
};

export const parseIpv6 = (text: string): TParsedAddress | null => {
  const bytes = ipv6Bytes(text);
  if (!bytes) return null;
  const embeddedIpv4 = embeddedIpv4Of(bytes);
  return { address: formatIpv6(bytes), family: 6, bytes, ...(embeddedIpv4 ? { embeddedIpv4 } : {}) };
};

/** A host that is an IP literal in any spelling (see parseIpv4), or null when it is a name. */
export const parseIpLiteral = (host: string): TParsedAddress | null => parseIpv4(host) ?? parseIpv6(host);

type TRange = { bytes: readonly number[]; bits: number; class: TAddressClass };
const range = (bytes: readonly number[], bits: number, cls: TAddressClass): TRange => ({ bytes, bits, class: cls });

// Most specific first where ranges nest.
const IPV4_RANGES: readonly TRange[] = [
  range([255, 255, 255, 255], 32, "broadcast"),
  range([0], 8, "unspecified"), // "this network"; 0.0.0.0 reaches the local host on Linux
  range([127], 8, "loopback"),
  range([10], 8, "private"),
  range([172, 16], 12, "private"),
  range([192, 168], 16, "private"),
  range([169, 254], 16, "link_local"), // includes 169.254.169.254, the cloud metadata service
  range([100, 64], 10, "cgnat"),
  range([192, 0, 0], 24, "reserved"), // IETF protocol assignments
  range([192, 0, 2], 24, "reserved"), // documentation
  range([198, 51, 100], 24, "reserved"),
  range([203, 0, 113], 24, "reserved"),
  range([192, 88, 99], 24, "reserved"), // 6to4 relay anycast
  range([198, 18], 15, "reserved"), // benchmarking
  range([224], 4, "multicast"),
  range([240], 4, "reserved"),
];

const IPV6_RANGES: readonly TRange[] = [
  range([...Array<number>(15).fill(0), 1], 128, "loopback"),
  range(Array<number>(16).fill(0), 128, "unspecified"),
  range([0xfe, 0x80], 10, "link_local"),
  range([0xfe, 0xc0], 10, "private"), // site-local, deprecated but routable inside sites
  range([0xfc], 7, "ula"), // includes fd00:ec2::254, the EC2 metadata service over IPv6
  range([0xff], 8, "multicast"),
  range([0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, "reserved"), // discard-only
  range([0x20, 0x01, 0x0d, 0xb8], 32, "reserved"), // documentation
  range([0x20, 0x01, 0x00, 0x00], 32, "reserved"), // Teredo: tunnels to an IPv4 host it hides
  range([0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, "reserved"), // local-use NAT64
];

/** Whether `bytes` lie in the prefix `prefix/bits` (same family). */
export const inPrefix = (bytes: Uint8Array, prefix: readonly number[] | Uint8Array, bits: number): boolean => {
  for (let bit = 0; bit < bits; bit += 8) {
    const take = Math.min(8, bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((((bytes[bit / 8] as number) ^ ((prefix[bit / 8] as number | undefined) ?? 0)) & mask) !== 0) return false;
  }
  return true;
};

const classOf = (parsed: TParsedAddress): TAddressClass => {
  const ranges = parsed.family === 4 ? IPV4_RANGES : IPV6_RANGES;
  const hit = ranges.find((candidate) => inPrefix(parsed.bytes, candidate.bytes, candidate.bits));
  if (hit) return hit.class;
  // An IPv6 form of an IPv4 address is as internal as that address.
  if (parsed.embeddedIpv4) return classOf(parsed.embeddedIpv4);
  return "public";
};

/** Classifies an IP literal in any spelling; null when `host` is not an IP address. */
export const classifyAddress = (host: string): TClassifiedAddress | null => {
  const parsed = parseIpLiteral(host);
  return parsed ? { ...parsed, class: classOf(parsed) } : null;
};
