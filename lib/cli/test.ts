/**
 * `npm test`: typecheck, lint, unit, integration and end-to-end suites, then one plain
 * closing line `N passed, N failed` (the sum of every suite) that CI reads.
 *
 *   npm test                         every stage
 *   npm test -- unit integration     chosen stages
 *   npm run test:integration -- lib/queue   only test files whose path contains "lib/queue"
 *
 * Integration and e2e suites get a database and a Redis key prefix of their own, created
 * here and removed afterwards, so two runs on one machine never see each other's data.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { dropDatabase, ensureDatabase } from "../db/ensure-database";
import { SECRET_VARIABLES } from "../secret-files";
import { DEVELOPMENT_ALLOWED_HOSTS as LOOPBACK_ALLOWED_HOSTS } from "../security/outbound/allow-list";

const ROOT = path.resolve(import.meta.dirname, "../..");
const OUT = path.join(ROOT, ".test-output");
const STAGES = ["typecheck", "lint", "unit", "integration", "e2e"] as const;
type Stage = (typeof STAGES)[number];
type Tally = { passed: number; failed: number; skipped: number };

const args = process.argv.slice(2);
const chosen = args.filter((arg): arg is Stage => (STAGES as readonly string[]).includes(arg));
const filters = args.filter((arg) => !(STAGES as readonly string[]).includes(arg));
const stages: readonly Stage[] = chosen.length > 0 ? chosen : STAGES;

/** Tests assume the development defaults, whatever the developer's shell exports. */
const CONFIG_DEFAULTS: Record<string, string> = Object.fromEntries(
  [
    "APP_URL",
    "AUTH_SECRET",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_SCOPES",
    "OIDC_GROUPS_CLAIM",
    "OIDC_EMAIL_VERIFIED_CLAIM",
    "OIDC_TRUST_EMAIL_ISSUERS",
    "ADMIN_GROUPS",
    "SECURITY_GROUPS",
    "WEBAUTHN_RP_ID",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "PRIVILEGED_SESSION_MAX_MINUTES",
    "OUTBOUND_ALLOWED_HOSTS",
    "LOG_LEVEL",
    "METRICS_TOKEN",
    "AUDIT_ANCHOR_KEY",
    "AUDIT_ANCHOR_SINK_TOKEN",
    ...SECRET_VARIABLES.filter((name) => name.includes("ENCRYPTION_SECRET")),
    ...SECRET_VARIABLES.map((name) => `${name}_FILE`),
  ].map((name) => [name, ""]),
);

const run = (command: string, commandArgs: string[], env: Record<string, string | undefined> = {}): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const SKIP_DIRS = new Set(["node_modules", ".next", ".git", ".test-output", "generated", "test-results"]);
const findFiles = (dir: string, match: (file: string) => boolean): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (SKIP_DIRS.has(entry)) return [];
    if (statSync(full).isDirectory()) return findFiles(full, match);
    return match(full) ? [path.relative(ROOT, full)] : [];
  });

const selected = (files: string[]): string[] =>
  filters.length === 0 ? files : files.filter((file) => filters.some((filter) => file.includes(filter)));

/** Node's TAP reporter ends with `# pass N`, `# fail N`, `# skipped N`, `# todo N`. */
const tallyTap = (file: string): Tally => {
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0 };
  const text = readFileSync(file, "utf8");
  const count = (name: string) => Number(text.match(new RegExp(`^# ${name} (\\d+)$`, "m"))?.[1] ?? 0);
  return {
    passed: count("pass"),
    failed: count("fail") + count("cancelled"),
    skipped: count("skipped") + count("todo"),
  };
};

const nodeTests = async (
  name: string,
  files: string[],
  env: Record<string, string | undefined>,
  concurrency: number,
): Promise<Tally> => {
  if (files.length === 0) {
    console.log(`\n== ${name}: no test files`);
    return { passed: 0, failed: 0, skipped: 0 };
  }
  console.log(`\n== ${name}: ${files.length} file(s)`);
  const tap = path.join(OUT, `${name}.tap`);
  const code = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      `--test-concurrency=${concurrency}`,
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=tap",
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    env,
  );
  const tally = tallyTap(tap);
  // A crash before any test reported is still a failure.
  if (code !== 0 && tally.failed === 0) tally.failed = 1;
  return tally;
};

const playwright = async (env: Record<string, string | undefined>): Promise<Tally> => {
  console.log("\n== e2e (Playwright, Chromium)");
  const report = path.join(OUT, "e2e.json");
  const code = await run("npx", ["playwright", "test", ...filters], { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: report });
  try {
    const stats = JSON.parse(readFileSync(report, "utf8")).stats as {
      expected: number;
      unexpected: number;
      flaky: number;
      skipped: number;
    };
    const tally = { passed: stats.expected + stats.flaky, failed: stats.unexpected, skipped: stats.skipped };
    if (code !== 0 && tally.failed === 0) tally.failed = 1;
    return tally;
  } catch {
    return { passed: 0, failed: 1, skipped: 0 };
  }
};

const check = async (name: string, command: string, commandArgs: string[]): Promise<Tally> => {
  console.log(`\n== ${name}`);
  const code = await run(command, commandArgs);
  console.log(code === 0 ? `${name}: ok` : `${name}: FAILED`);
  return code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };
};

/** A database and Redis prefix of this run's own, migrated and ready. */
const isolatedEnvironment = async (): Promise<{
  env: Record<string, string | undefined>;
  cleanup: () => Promise<void>;
}> => {
  const id = `${process.pid}_${randomBytes(4).toString("hex")}`;
  const base = new URL(process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  base.pathname = `/jit_test_${id}`;
  const databaseUrl = base.toString();
  const redisPrefix = `jit-test-${id}`;
  const env: Record<string, string | undefined> = {
    ...CONFIG_DEFAULTS,
    NODE_ENV: "test",
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    REDIS_PREFIX: redisPrefix,
    // Anchors belong to one database: this run's own file (ADR 0028).
    AUDIT_ANCHOR_SINK: `file:${path.join(OUT, `audit-anchors-${id}.jsonl`)}`,
    NEXT_TELEMETRY_DISABLED: "1",
    // The suites' webhook, chat and SMTP receivers listen on loopback: allowed by name, as an
    // operator would allow an internal target (ADR 0032). Outside this, tests allow nothing.
    OUTBOUND_ALLOWED_HOSTS: LOOPBACK_ALLOWED_HOSTS,
  };
  await ensureDatabase(databaseUrl);
  const migrated = await run("npx", ["prisma", "migrate", "deploy"], env);
  if (migrated !== 0) throw new Error("prisma migrate deploy failed on the test database");
  const cleanup = async () => {
    await dropDatabase(databaseUrl).catch((error: unknown) => console.error("could not drop test database:", error));
    const redis = new Redis(env.REDIS_URL as string, { lazyConnect: true });
    try {
      await redis.connect();
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${redisPrefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== "0");
    } catch (error) {
      console.error("could not clean test Redis keys:", error);
    } finally {
      redis.disconnect();
    }
  };
  return { env, cleanup };
};

const main = async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const started = Date.now();
  const results: Array<[string, Tally]> = [];
  const isTest = (file: string) => /\.test\.tsx?$/.test(file) && !file.startsWith("e2e");

  if (stages.includes("typecheck")) results.push(["typecheck", await check("typecheck", "npx", ["tsc", "--noEmit"])]);
  if (stages.includes("lint")) {
    results.push(["lint", await check("lint", "npx", ["eslint", "--max-warnings=0", "."])]);
    // One format for the whole tree (Prettier, print width 120): `npm run format` fixes it.
    results.push(["format", await check("format", "npx", ["prettier", "--check", "--log-level=warn", "."])]);
  }
  if (stages.includes("unit")) {
    const files = selected(
      findFiles(ROOT, (file) => isTest(path.relative(ROOT, file)) && !file.includes(".integration.")),
    );
    results.push(["unit", await nodeTests("unit", files, { ...CONFIG_DEFAULTS, NODE_ENV: "test" }, 2)]);
  }
  // Each suite gets a database and Redis prefix of its own: jobs the integration tests leave in
  // Redis must not reach the e2e suite's worker (another AUTH_SECRET, another database).
  if (stages.includes("integration")) {
    const { env, cleanup } = await isolatedEnvironment();
    try {
      const files = selected(
        findFiles(ROOT, (file) => isTest(path.relative(ROOT, file)) && file.includes(".integration.")),
      );
      // One file at a time: files share this run's database.
      // The audit log lines would drown the test report; log tests capture their own.
      results.push(["integration", await nodeTests("integration", files, { ...env, LOG_LEVEL: "silent" }, 1)]);
    } finally {
      await cleanup();
    }
  }
  if (stages.includes("e2e")) {
    const { env, cleanup } = await isolatedEnvironment();
    try {
      results.push(["e2e", await playwright(env)]);
    } finally {
      await cleanup();
    }
  }

  const total = results.reduce(
    (sum, [, t]) => ({
      passed: sum.passed + t.passed,
      failed: sum.failed + t.failed,
      skipped: sum.skipped + t.skipped,
    }),
    { passed: 0, failed: 0, skipped: 0 },
  );
  console.log("\n== summary");
  for (const [name, t] of results)
    console.log(
      `  ${name.padEnd(12)} ${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped` : ""}`,
    );
  console.log(`  wall time    ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`);
  process.exit(total.failed > 0 ? 1 : 0);
};

main().catch((error: unknown) => {
  console.error(error);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
