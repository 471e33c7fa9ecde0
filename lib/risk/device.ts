/**
 * What "the same device" and "the same network" mean for the risk signals: a coarse user
 * agent family (browser and operating system, no versions, so a browser update is not a new
 * device) and the IP prefix a home or office network shares (IPv4 /24, IPv6 /64).
 */
import { isIPv4, isIPv6 } from "node:net";

const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\bOPR\//, "Opera"],
  [/\b(?:Firefox|FxiOS)\//, "Firefox"],
  [/\b(?:Chrome|Chromium|CriOS)\//, "Chrome"],
  [/\bSafari\//, "Safari"],
  [/^curl\//, "curl"],
];

const SYSTEMS: Array<[RegExp, string]> = [
  [/\bWindows\b/, "Windows"],
  [/\bAndroid\b/, "Android"],
  [/\b(?:iPhone|iPad|iPod)\b/, "iOS"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bLinux\b|\bX11\b/, "Linux"],
];

/** "Chrome on Linux"; null when there is no user agent to judge. */
export const deviceFamily = (userAgent: string | null | undefined): string | null => {
  const ua = userAgent?.trim();
  if (!ua) return null;
  const browser =
    BROWSERS.find(([pattern]) => pattern.test(ua))?.[1] ?? /^([\w.-]{1,40})\//.exec(ua)?.[1] ?? "unknown browser";
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1] ?? "unknown OS";
  return `${browser} on ${system}`;
};

const expandIPv6 = (ip: string): number[] | null => {
  const [head = "", tail, ...rest] = ip.split("::");
  if (rest.length > 0) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const groups = [...left, ...Array<number>(Math.max(0, missing)).fill(0), ...right];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : null;
};

/** "203.0.113.0/24" or "2001:db8:1:2::/64"; null for no or an unparsable address. */
export const networkPrefix = (ip: string | null | undefined): string | null => {
  let address = ip
    ?.trim()
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "");
  if (!address) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) address = mapped[1];
  if (isIPv4(address)) return `${address.split(".").slice(0, 3).join(".")}.0/24`;
  if (!isIPv6(address)) return null;
  const groups = expandIPv6(address);
  return groups
    ? `${groups
        .slice(0, 4)
        .map((group) => group.toString(16))
        .join(":")}::/64`
    : null;
};
