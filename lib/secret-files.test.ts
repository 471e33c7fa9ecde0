import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "./config";
import { resolveSecretFiles, SECRET_VARIABLES } from "./secret-files";

const dir = mkdtempSync(path.join(tmpdir(), "jit-secret-files-"));
const secretFile = (name: string, content: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
};

const production = {
  NODE_ENV: "production",
  APP_URL: "https://access.example.com",
  OIDC_ISSUER: "https://idp.example.com",
  OIDC_CLIENT_ID: "portal",
  ADMIN_GROUPS: "it-admins",
  SECURITY_GROUPS: "secops",
  WEBHOOK_ENCRYPTION_SECRET: "w".repeat(40),
  SIGNING_KEY_ENCRYPTION_SECRET: "k".repeat(40),
  CONNECTOR_ENCRYPTION_SECRET: "c".repeat(40),
};

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.problems;
  }
};

describe("NAME_FILE variables for mounted secrets", () => {
  it("reads every credential from its file, trimming one trailing newline", () => {
    const config = loadConfig({
      ...production,
      AUTH_SECRET_FILE: secretFile("auth", `${"a".repeat(40)}\n`),
      OIDC_CLIENT_SECRET_FILE: secretFile("oidc", "client-secret\r\n"),
      DATABASE_URL_FILE: secretFile("db", "postgresql://jit:pw@db.internal:5432/jit\n"),
      REDIS_URL_FILE: secretFile("redis", "redis://:pw@redis.internal:6379"),
      SMTP_URL_FILE: secretFile("smtp", "smtp://u:p@smtp.example.com:587\n"),
      CHAT_WEBHOOK_URL_FILE: secretFile("chat", "https://hooks.example.com/T/B/x\n"),
      WEBHOOK_ENCRYPTION_SECRET: undefined,
      WEBHOOK_ENCRYPTION_SECRET_FILE: secretFile("webhook-enc", `${"e".repeat(40)}\n`),
      WEBHOOK_ENCRYPTION_SECRET_PREVIOUS_FILE: secretFile("webhook-enc-old", `${"p".repeat(40)}\n`),
    });
    assert.equal(config.authSecret, "a".repeat(40));
    assert.equal(config.oidc.clientSecret, "client-secret");
    assert.equal(config.databaseUrl, "postgresql://jit:pw@db.internal:5432/jit");
    assert.equal(config.redisUrl, "redis://:pw@redis.internal:6379");
    assert.equal(config.smtpUrl, "smtp://u:p@smtp.example.com:587");
    assert.equal(config.chatWebhookUrl, "https://hooks.example.com/T/B/x");
    assert.deepEqual(config.encryptionSecrets["webhook-secrets"], {
      current: "e".repeat(40),
      previous: "p".repeat(40),
    });
  });

  it("keeps inner and all but one trailing newline: only the writer's final newline is not part of the value", () => {
    const { env } = resolveSecretFiles({ AUTH_SECRET_FILE: "/x" }, () => "line1\nline2\n\n");
    assert.equal(env.AUTH_SECRET, "line1\nline2\n");
  });

  it("validates a value from a file like one from the environment", () => {
    const problems = problemsOf({
      ...production,
      OIDC_CLIENT_SECRET: "s",
      AUTH_SECRET_FILE: secretFile("short", "too-short\n"),
    });
    assert.deepEqual(problems, ["AUTH_SECRET: must be at least 32 characters"]);
  });

  it("refuses NAME and NAME_FILE together, naming both", () => {
    for (const name of SECRET_VARIABLES) {
      const { problems } = resolveSecretFiles({ [name]: "value", [`${name}_FILE`]: "/run/secrets/x" }, () => "other");
      assert.deepEqual(problems, [
        `${name}, ${name}_FILE: set only one of them (${name}_FILE reads the value from a file)`,
      ]);
    }
    assert.match(
      problemsOf({
        ...production,
        AUTH_SECRET: "b".repeat(40),
        AUTH_SECRET_FILE: secretFile("both", "c".repeat(40)),
      }).join(),
      /AUTH_SECRET, AUTH_SECRET_FILE: set only one/,
    );
  });

  it("names the variable and the path of an unreadable file, never a value", () => {
    const missing = path.join(dir, "does-not-exist");
    const problems = problemsOf({ ...production, OIDC_CLIENT_SECRET_FILE: missing, AUTH_SECRET: "d".repeat(40) });
    assert.deepEqual(problems, [`OIDC_CLIENT_SECRET_FILE: cannot read ${missing} (ENOENT)`]);
    assert.match(problemsOf({ DATABASE_URL_FILE: dir }).join(), /^DATABASE_URL_FILE: cannot read .* \(EISDIR\)$/);
  });

  it("refuses an empty file rather than falling back to a default", () => {
    assert.deepEqual(problemsOf({ REDIS_URL_FILE: secretFile("empty", "\n") }), [
      `REDIS_URL_FILE: ${path.join(dir, "empty")} is empty`,
    ]);
  });

  it("treats an empty NAME_FILE as unset, and reads nothing when none is set", () => {
    let reads = 0;
    const { env, problems } = resolveSecretFiles({ AUTH_SECRET: "x", AUTH_SECRET_FILE: "" }, () => {
      reads += 1;
      return "";
    });
    assert.deepEqual(problems, []);
    assert.equal(reads, 0);
    assert.equal(env.AUTH_SECRET, "x");
    assert.equal("AUTH_SECRET_FILE" in env, false);
  });

  it("gives _FILE only to credentials: other variables are not read from files", () => {
    const { env } = resolveSecretFiles({ APP_URL_FILE: "/x" }, () => "https://evil.example.com");
    assert.equal(env.APP_URL, undefined);
  });
});
