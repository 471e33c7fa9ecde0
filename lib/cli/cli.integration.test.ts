/** The command-line entries as an operator meets them: real processes, real exit codes. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { seedDemoData } from "../../prisma/seed";
import { ROOT } from "./run";

after(disconnectDb);

const run = (script: string, env: Record<string, string | undefined>) =>
  spawnSync("npx", ["tsx", script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });

const PRODUCTION = {
  NODE_ENV: "production",
  APP_URL: "https://access.example.com",
  AUTH_SECRET: "p".repeat(40),
  WEBHOOK_ENCRYPTION_SECRET: "w".repeat(40),
  SIGNING_KEY_ENCRYPTION_SECRET: "k".repeat(40),
  CONNECTOR_ENCRYPTION_SECRET: "c".repeat(40),
  OIDC_ISSUER: "https://idp.example.com",
  OIDC_CLIENT_ID: "portal",
  OIDC_CLIENT_SECRET: "secret",
  ADMIN_GROUPS: "admins",
  SECURITY_GROUPS: "secops",
};

describe("npm run dev", () => {
  it("names the PostgreSQL URL that failed, says how to start it, and exits non-zero", () => {
    const result = run("lib/cli/dev.ts", {
      NODE_ENV: "development",
      DATABASE_URL: "postgresql://postgres:hunter2@127.0.0.1:1/jit_access",
    });
    assert.notEqual(result.status, 0);
    assert.match(
      result.stderr,
      /PostgreSQL is not reachable at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/jit_access/,
    );
    assert.match(result.stderr, /pg_ctlcluster/);
    assert.doesNotMatch(result.stderr, /hunter2/, "the password is not printed");
  });

  it("names the Redis URL that failed, says how to start it, and exits non-zero", () => {
    const result = run("lib/cli/dev.ts", { NODE_ENV: "development", REDIS_URL: "redis://127.0.0.1:1" });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /Redis is not reachable at redis:\/\/127\.0\.0\.1:1/);
    assert.match(result.stderr, /redis-server/);
  });
});

describe("production start", () => {
  it("refuses to start without AUTH_SECRET, naming it", () => {
    const result = run("lib/cli/start.ts", { ...PRODUCTION, AUTH_SECRET: "" });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /AUTH_SECRET: required in production/);
  });

  it("refuses to start when two purposes share a secret, naming both", () => {
    const result = run("lib/cli/start.ts", { ...PRODUCTION, CONNECTOR_ENCRYPTION_SECRET: PRODUCTION.AUTH_SECRET });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /AUTH_SECRET, CONNECTOR_ENCRYPTION_SECRET: must be different secrets/);
  });

  it("refuses the development IdP and an http origin", () => {
    const result = run("lib/cli/start.ts", { ...PRODUCTION, OIDC_ISSUER: "", APP_URL: "http://access.example.com" });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /OIDC_ISSUER: required in production/);
    assert.match(result.stderr, /APP_URL: must be https/);
  });

  it("refuses a credential given both directly and as a file, and an unreadable secret file, naming each", () => {
    const result = run("lib/cli/start.ts", {
      ...PRODUCTION,
      AUTH_SECRET_FILE: "/run/secrets/jit-access/auth-secret",
      OIDC_CLIENT_SECRET: "",
      OIDC_CLIENT_SECRET_FILE: "/nonexistent/oidc-client-secret",
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /AUTH_SECRET, AUTH_SECRET_FILE: set only one of them/);
    assert.match(result.stderr, /OIDC_CLIENT_SECRET_FILE: cannot read \/nonexistent\/oidc-client-secret \(ENOENT\)/);
  });

  it("refuses to seed demo data in production unless asked", () => {
    const result = run("prisma/seed.ts", PRODUCTION);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Refusing to seed demo data in production/);
  });

  it("refuses to run the development IdP in production", () => {
    const result = run("lib/cli/dev-idp.ts", PRODUCTION);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /dev-idp: refusing to run with NODE_ENV=production: it signs anyone in as anyone\./);
    assert.doesNotMatch(result.stdout, /listening|IdP at/i, "nothing was started");
  });
});

describe("seed", () => {
  it("is idempotent", async () => {
    await seedDemoData();
    const counts = async () => ({ resources: await db.resource.count(), policies: await db.accessPolicy.count() });
    const first = await counts();
    const again = await seedDemoData();
    assert.equal(again.created, 0);
    assert.deepEqual(await counts(), first);
  });
});
