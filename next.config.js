// The services API is its own server (api/server.ts); the portal's origin answers the same
// paths by proxying, so one base URL works. Same default as lib/config.ts (API_INTERNAL_URL,
// else 127.0.0.1:API_PORT). Rewrites are fixed at `next build`: set these before building.
const apiInternalUrl = (process.env.API_INTERNAL_URL || `http://127.0.0.1:${process.env.API_PORT || "3002"}`).replace(
  /\/+$/,
  "",
);

/** @type {import("next").NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // A self-contained server in .next/standalone (server.js and the node_modules it traces):
  // what the Docker image and `npm start` run (docs/decisions/0016-container-image.md).
  output: "standalone",
  outputFileTracingRoot: import.meta.dirname,
  poweredByHeader: false,
  // `forbidden()` answers 403 with app/forbidden.tsx.
  experimental: { authInterrupts: true },
  // Node-only packages loaded at run time rather than bundled.
  serverExternalPackages: ["pg", "ioredis", "bullmq", "@prisma/adapter-pg"],
  rewrites: async () => [
    { source: "/api/v1/:path*", destination: `${apiInternalUrl}/api/v1/:path*` },
    { source: "/.well-known/jwks.json", destination: `${apiInternalUrl}/.well-known/jwks.json` },
  ],
  // Baseline headers on every response; pages also get a nonce-based Content-Security-Policy
  // from proxy.ts. HSTS when the public origin is https (APP_URL, read at build and start).
  headers: async () => [
    {
      source: "/:path*",
      headers: [
        { key: "Content-Security-Policy", value: "frame-ancestors 'none'; base-uri 'self'; object-src 'none'" },
        { key: "X-Frame-Options", value: "DENY" },
        { key: "X-Content-Type-Options", value: "nosniff" },
        { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
        { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
        ...((process.env.APP_URL ?? "").startsWith("https://")
          ? [{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }]
          : []),
      ],
    },
  ],
};

export default nextConfig;
