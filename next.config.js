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
  // Baseline headers on every response. The nonce-based Content-Security-Policy and HSTS
  // come with the hardening issue; framing is refused now because the admin pages have
  // one-click actions that must not be clickjacked.
  headers: async () => [
    {
      source: "/:path*",
      headers: [
        { key: "Content-Security-Policy", value: "frame-ancestors 'none'; base-uri 'self'; object-src 'none'" },
        { key: "X-Frame-Options", value: "DENY" },
        { key: "X-Content-Type-Options", value: "nosniff" },
        { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
        { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
      ],
    },
  ],
};

export default nextConfig;
