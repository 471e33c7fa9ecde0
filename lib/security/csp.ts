/**
 * The portal's Content-Security-Policy: scripts only with this response's nonce (and what
 * they load, 'strict-dynamic'), never inline or eval in production; nothing framed, no
 * plugins, no base-URL rewriting. Set per request by proxy.ts, which also hands the nonce to
 * Next.js so its own scripts carry it.
 */
export const buildContentSecurityPolicy = (options: { nonce: string; development: boolean }): string => {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(options.nonce))
    throw new Error("a CSP nonce must be at least 16 base64 characters");
  return [
    "default-src 'self'",
    // React's development build evaluates strings for its error overlay and fast refresh.
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.development ? " 'unsafe-eval'" : ""}`,
    // Next.js and React set style attributes; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${options.development ? " ws:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
};

/** 128 random bits, base64: a fresh nonce per response. */
export const newNonce = (): string => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
