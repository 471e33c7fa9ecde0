import type { IncomingMessage } from "node:http";

/** The client's address from X-Forwarded-For and the TCP peer, trusting `trustedHops` proxies (see client-ip.mjs). */
export declare const clientIpFrom: (options: {
  forwardedFor: string | undefined;
  peer: string | undefined;
  trustedHops: number;
}) => string | null;
/** Replaces X-Forwarded-For (and drops X-Real-IP) with exactly `ip`. */
export declare const setClientIp: (request: IncomingMessage, ip: string | null) => void;
