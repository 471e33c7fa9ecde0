/** @type {import("next").NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // `forbidden()` answers 403 with app/forbidden.tsx.
  experimental: { authInterrupts: true },
  // Node-only packages loaded at run time rather than bundled.
  serverExternalPackages: ["pg", "ioredis", "bullmq", "@prisma/adapter-pg"],
};

export default nextConfig;
