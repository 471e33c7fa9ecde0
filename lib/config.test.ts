import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEV_AUDIT_ANCHOR_KEY } from "./audit/anchors/anchor-key";
import { auditAnchoringProblems, ConfigError, DEV_AUTH_SECRET, DEV_OIDC_CLIENT_SECRET, loadConfig } from "./config";

const production = {
  NODE_ENV: "production",
  APP_URL: "https://access.example.com",
  AUTH_SECRET: "x".repeat(40),
  WEBHOOK_ENCRYPTION_SECRET: "w".repeat(40),
  SIGNING_KEY_ENCRYPTION_SECRET: "k".repeat(40),
  CONNECTOR_ENCRYPTION_SECRET: "c".repeat(40),
  OIDC_ISSUER: "https://idp.example.com",
  OIDC_CLIENT_ID: "portal",
  OIDC_CLIENT_SECRET: "s3cret",
  ADMIN_GROUPS: "it-admins",
  SECURITY_GROUPS: "secops",
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

describe("configuration", () => {
  it("serves local development with no variables at all", () => {
    const config = loadConfig({});
    assert.equal(config.databaseUrl, "postgresql://postgres@127.0.0.1:5432/jit_access");
    assert.equal(config.redisUrl, "redis://127.0.0.1:6379");
    assert.equal(config.appUrl, "http://localhost:3000");
    assert.equal(config.oidc.isDevIdp, true);
    assert.equal(config.oidc.issuer, "http://localhost:3001");
    assert.equal(config.oidc.groupsClaim, "groups");
    assert.equal(config.webauthn.rpId, "localhost");
  });

  it("accepts a complete production configuration", () => {
    const config = loadConfig(production);
    assert.equal(config.isProduction, true);
    assert.equal(config.oidc.isDevIdp, false);
    assert.deepEqual(config.adminGroups, ["it-admins"]);
    assert.equal(config.webauthn.origin, "https://access.example.com");
  });

  it("refuses production without AUTH_SECRET, naming the variable", () => {
    const problems = problemsOf({ ...production, AUTH_SECRET: undefined });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? "", /^AUTH_SECRET: required in production/);
  });

  it("refuses the development secrets in production", () => {
    assert.match(
      problemsOf({ ...production, AUTH_SECRET: DEV_AUTH_SECRET }).join(),
      /AUTH_SECRET: is the development default/,
    );
    assert.match(
      problemsOf({ ...production, OIDC_CLIENT_SECRET: DEV_OIDC_CLIENT_SECRET }).join(),
      /OIDC_CLIENT_SECRET: is the development default/,
    );
  });

  it("refuses the development IdP in production", () => {
    assert.match(problemsOf({ ...production, OIDC_ISSUER: undefined }).join(), /OIDC_ISSUER: required in production/);
  });

  it("refuses an http origin other than localhost in production", () => {
    assert.match(problemsOf({ ...production, APP_URL: "http://access.example.com" }).join(), /APP_URL: must be https/);
    assert.deepEqual(problemsOf({ ...production, APP_URL: "http://localhost:3100" }), []);
  });

  it("treats empty strings as unset", () => {
    assert.equal(loadConfig({ OIDC_ISSUER: "" }).oidc.isDevIdp, true);
  });

  it("names a malformed variable and what is wrong", () => {
    const problems = problemsOf({ DATABASE_URL: "not a url", SESSION_IDLE_MINUTES: "-3" });
    assert.ok(
      problems.some((p) => p.startsWith("DATABASE_URL: must be an absolute URL")),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => p.startsWith("SESSION_IDLE_MINUTES:")),
      problems.join("\n"),
    );
  });

  it("parses group lists and requires a client when an issuer is set", () => {
    assert.deepEqual(loadConfig({ ADMIN_GROUPS: " a, b ,,c " }).adminGroups, ["a", "b", "c"]);
    assert.match(
      problemsOf({ OIDC_ISSUER: "https://idp.example.com" }).join(),
      /OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: required/,
    );
  });
});

describe("WORKER_QUEUES", () => {
  it("defaults to every queue, and takes a subset", () => {
    assert.deepEqual(loadConfig({}).workerQueues, [
      "maintenance",
      "grant-lifecycle",
      "notify",
      "webhooks",
      "provisioning",
    ]);
    assert.deepEqual(loadConfig({ WORKER_QUEUES: " webhooks " }).workerQueues, ["webhooks"]);
  });
  it("refuses an unknown queue or an empty list, naming the variable", () => {
    assert.ok(
      problemsOf({ WORKER_QUEUES: "webhooks,emails" }).some(
        (problem) =>
          problem.startsWith("WORKER_QUEUES") &&
          problem.includes("emails") &&
          problem.includes("the queues are maintenance"),
      ),
    );
    assert.ok(problemsOf({ WORKER_QUEUES: " , " }).some((problem) => problem.startsWith("WORKER_QUEUES")));
  });
});

describe("audit anchoring configuration (ADR 0028)", () => {
  const key = Buffer.alloc(32, 7).toString("base64");

  it("in production, names the missing key and sink for the processes that need them", () => {
    const config = loadConfig(production);
    assert.equal(config.auditAnchor.key, null);
    assert.equal(config.auditAnchor.sink, null);
    const problems = auditAnchoringProblems(config);
    assert.match(problems[0] ?? "", /^AUDIT_ANCHOR_KEY: required in production/);
    assert.match(problems[1] ?? "", /^AUDIT_ANCHOR_SINK: required in production/);
    const complete = loadConfig({
      ...production,
      AUDIT_ANCHOR_KEY: key,
      AUDIT_ANCHOR_SINK: "https://anchors.example.com/jit",
    });
    assert.deepEqual(auditAnchoringProblems(complete), []);
    assert.deepEqual(complete.auditAnchor.sink, { kind: "https", url: "https://anchors.example.com/jit" });
  });

  it("refuses the development key, a plain-http sink and a malformed key in production", () => {
    assert.match(
      problemsOf({ ...production, AUDIT_ANCHOR_KEY: DEV_AUDIT_ANCHOR_KEY }).join(),
      /AUDIT_ANCHOR_KEY: is the development default/,
    );
    assert.match(
      problemsOf({ ...production, AUDIT_ANCHOR_SINK: "http://anchors.example.com/jit" }).join(),
      /AUDIT_ANCHOR_SINK: must be https/,
    );
    assert.match(problemsOf({ AUDIT_ANCHOR_KEY: "not-a-key" }).join(), /AUDIT_ANCHOR_KEY: must be an Ed25519/);
    assert.match(problemsOf({ AUDIT_ANCHOR_SINK: "s3://bucket" }).join(), /AUDIT_ANCHOR_SINK: must be file:/);
  });

  it("reads the key from a file (AUDIT_ANCHOR_KEY_FILE) and keeps it out of every message", () => {
    const config = loadConfig(
      {
        ...production,
        AUDIT_ANCHOR_KEY_FILE: "/run/secrets/anchor-key",
        AUDIT_ANCHOR_SINK: "file:/var/lib/anchors.jsonl",
      },
      { readFile: () => `${key}\n` },
    );
    assert.equal(config.auditAnchor.key, key);
    assert.deepEqual(config.auditAnchor.sink, { kind: "file", path: "/var/lib/anchors.jsonl" });
    const problems = problemsOf({ AUDIT_ANCHOR_KEY: "secret-material-that-is-not-a-key" });
    assert.doesNotMatch(problems.join(), /secret-material/);
  });

  it("gives development a key and a sink of its database's own", () => {
    const config = loadConfig({ DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/jit_dev" });
    assert.equal(config.auditAnchor.key, DEV_AUDIT_ANCHOR_KEY);
    assert.deepEqual(config.auditAnchor.sink, { kind: "file", path: ".dev/audit-anchors-jit_dev.jsonl" });
    assert.equal(config.auditAnchor.everyMs, 5 * 60_000);
    assert.deepEqual(auditAnchoringProblems(config), []);
  });
});

describe("one secret per purpose (ADR 0033)", () => {
  const ENCRYPTION = ["WEBHOOK_ENCRYPTION_SECRET", "SIGNING_KEY_ENCRYPTION_SECRET", "CONNECTOR_ENCRYPTION_SECRET"];

  it("refuses production without each encryption secret, naming every missing one", () => {
    const problems = problemsOf({
      ...production,
      WEBHOOK_ENCRYPTION_SECRET: undefined,
      SIGNING_KEY_ENCRYPTION_SECRET: undefined,
      CONNECTOR_ENCRYPTION_SECRET: undefined,
    });
    assert.deepEqual(
      problems.map((problem) => problem.split(":")[0]),
      ENCRYPTION,
    );
    assert.ok(problems.every((problem) => /required in production/.test(problem)));
  });

  it("refuses production when two purposes share a secret, including AUTH_SECRET", () => {
    assert.match(
      problemsOf({ ...production, WEBHOOK_ENCRYPTION_SECRET: production.AUTH_SECRET }).join(),
      /AUTH_SECRET, WEBHOOK_ENCRYPTION_SECRET: must be different secrets/,
    );
    assert.match(
      problemsOf({ ...production, CONNECTOR_ENCRYPTION_SECRET: production.SIGNING_KEY_ENCRYPTION_SECRET }).join(),
      /SIGNING_KEY_ENCRYPTION_SECRET, CONNECTOR_ENCRYPTION_SECRET: must be different secrets/,
    );
    assert.match(
      problemsOf({ ...production, SIGNING_KEY_ENCRYPTION_SECRET: DEV_AUTH_SECRET }).join(),
      /SIGNING_KEY_ENCRYPTION_SECRET: is the development default/,
    );
  });

  it("refuses a short secret anywhere, and a _PREVIOUS equal to its current one", () => {
    assert.match(
      problemsOf({ WEBHOOK_ENCRYPTION_SECRET: "short" }).join(),
      /WEBHOOK_ENCRYPTION_SECRET: must be at least 32 characters/,
    );
    assert.match(
      problemsOf({ ...production, WEBHOOK_ENCRYPTION_SECRET_PREVIOUS: production.WEBHOOK_ENCRYPTION_SECRET }).join(),
      /WEBHOOK_ENCRYPTION_SECRET_PREVIOUS: equals WEBHOOK_ENCRYPTION_SECRET/,
    );
  });

  it("gives each purpose its own secret and previous one in production", () => {
    const config = loadConfig({ ...production, WEBHOOK_ENCRYPTION_SECRET_PREVIOUS: "o".repeat(40) });
    assert.deepEqual(config.encryptionSecrets, {
      "webhook-secrets": { current: "w".repeat(40), previous: "o".repeat(40) },
      "signing-keys": { current: "k".repeat(40), previous: null },
      "connector-credentials": { current: "c".repeat(40), previous: null },
    });
  });

  it("derives every purpose from AUTH_SECRET in development (each still gets its own key from HKDF)", () => {
    const config = loadConfig({ AUTH_SECRET: "a".repeat(40) });
    for (const purpose of ["webhook-secrets", "signing-keys", "connector-credentials"] as const)
      assert.deepEqual(config.encryptionSecrets[purpose], { current: "a".repeat(40), previous: null });
    assert.equal(loadConfig({}).encryptionSecrets["webhook-secrets"].current, DEV_AUTH_SECRET);
  });
});

describe("OUTBOUND_ALLOWED_HOSTS (ADR 0032)", () => {
  it("allows loopback by default in development only; production and tests allow nothing internal by default", () => {
    assert.deepEqual(
      loadConfig({}).outbound.allowed.map((entry) => entry.text),
      ["localhost", "127.0.0.0/8", "[::1]"],
    );
    assert.deepEqual(loadConfig(production).outbound.allowed, []);
    assert.deepEqual(loadConfig({ NODE_ENV: "test" }).outbound.allowed, []);
    assert.equal(
      loadConfig({ ...production, OUTBOUND_ALLOWED_HOSTS: "hooks.internal, 10.0.0.0/8:443" }).outbound.allowed.length,
      2,
    );
  });

  it("names a bad entry", () => {
    assert.match(
      problemsOf({ OUTBOUND_ALLOWED_HOSTS: "ok.internal, 10.0.0.0/99" }).join(),
      /OUTBOUND_ALLOWED_HOSTS: "10\.0\.0\.0\/99": the prefix length/,
    );
  });
});

describe("PRIVILEGED_SESSION_MAX_MINUTES", () => {
  it("defaults to 60 minutes and takes a value", () => {
    assert.equal(loadConfig({}).session.privilegedMaxMs, 3_600_000);
    assert.equal(loadConfig({ PRIVILEGED_SESSION_MAX_MINUTES: "15" }).session.privilegedMaxMs, 900_000);
  });
});

describe("WEB_CONCURRENCY", () => {
  it("leaves the count to npm start (one per core but one) when unset, and takes a number of copies", () => {
    assert.equal(loadConfig({}).web.concurrency, null);
    assert.equal(loadConfig({ WEB_CONCURRENCY: "3" }).web.concurrency, 3);
  });
  it("refuses anything but a whole number from 1 to 64, naming the variable", () => {
    for (const value of ["0", "-1", "1.5", "two", "65"])
      assert.ok(
        problemsOf({ WEB_CONCURRENCY: value }).some((problem) => problem.includes("WEB_CONCURRENCY")),
        value,
      );
  });
});
