/**
 * The security headers every answer of the services API carries (api/server.ts). The portal's
 * pages and route handlers get the same set from next.config.js `headers` (a plain JS file that
 * cannot import this one) plus their own CSP from proxy.ts; e2e/headers.spec.ts checks both
 * servers' answers against one list, so the two cannot drift apart unseen.
 * JSON only: nothing may be framed, sniffed as HTML, or load anything.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
};
