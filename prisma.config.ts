import { defineConfig } from "prisma/config";
// adapter-pg 7 only for the CLI: 6.19.3's adapter breaks `migrate deploy` (prisma/orm#27403).
// See docs/decisions/0001-prisma-offline.md.
import { PrismaPg } from "prisma-adapter-pg-7";
import { DEFAULT_DATABASE_URL } from "./lib/config";
import { resolveSecretFiles } from "./lib/secret-files";

// Only the database URL (or DATABASE_URL_FILE): `prisma generate` runs at install and build
// time, where the rest of production's configuration (secrets) is rightly absent.
const databaseUrlFromEnv = (): string => {
  const { env, problems } = resolveSecretFiles({
    DATABASE_URL: process.env.DATABASE_URL,
    DATABASE_URL_FILE: process.env.DATABASE_URL_FILE,
  });
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
  return env.DATABASE_URL || DEFAULT_DATABASE_URL;
};
const databaseUrl = databaseUrlFromEnv();
// The CLI reads the schema's `env("DATABASE_URL")` to learn the engine type; if the variable
// is unset it silently falls back to downloading a native engine, which fails offline.
process.env.DATABASE_URL = databaseUrl;
delete process.env.DATABASE_URL_FILE;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => new PrismaPg({ connectionString: databaseUrl }),
});
