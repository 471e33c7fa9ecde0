/**
 * The migrations must reproduce prisma/schema.prisma exactly: one fresh database gets the
 * migrations (`prisma migrate deploy`), another the SQL Prisma derives from the schema
 * alone; their `pg_dump --schema-only` must be identical. A schema change without its
 * migration (or a hand-edited migration that drifts) fails here.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { getConfig } from "../lib/config";
import { dropDatabase, ensureDatabase } from "../lib/db/ensure-database";
import { ROOT } from "../lib/cli/run";

const databaseUrl = (name: string) => {
  const url = new URL(getConfig().databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

const suffix = randomBytes(4).toString("hex");
const migrated = databaseUrl(`jit_mig_a_${suffix}`);
const fromSchema = databaseUrl(`jit_mig_b_${suffix}`);

const schemaDump = (url: string): string => {
  const dump = execFileSync(
    "pg_dump",
    ["--schema-only", "--no-owner", "--no-privileges", "--exclude-table=_prisma_migrations", url],
    { encoding: "utf8" },
  );
  // Comments and session settings carry versions and names, not schema.
  return dump
    .split("\n")
    .filter(
      (line) =>
        !line.startsWith("--") &&
        !line.startsWith("SET ") &&
        !line.startsWith("SELECT pg_catalog.set_config") &&
        !line.startsWith("\\restrict") &&
        !line.startsWith("\\unrestrict"),
    )
    .join("\n")
    .replace(/\n{2,}/g, "\n");
};

describe("migrations", () => {
  before(async () => {
    await ensureDatabase(migrated);
    await ensureDatabase(fromSchema);
  });
  after(async () => {
    await dropDatabase(migrated);
    await dropDatabase(fromSchema);
  });

  it("reproduce prisma/schema.prisma exactly", async () => {
    execFileSync("npx", ["prisma", "migrate", "deploy"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: migrated },
      stdio: "pipe",
    });
    const sql = execFileSync(
      "npx",
      ["prisma", "migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
      {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const client = new pg.Client({ connectionString: fromSchema });
    await client.connect();
    try {
      await client.query(sql);
      // What schema.prisma cannot say (triggers): the same file the migration carries.
      await client.query(readFileSync(`${ROOT}/prisma/sql/replica-change-triggers.sql`, "utf8"));
      // What the schema language cannot say (expression indexes), declared once in raw-sql.sql.
      await client.query(readFileSync(path.join(ROOT, "prisma", "raw-sql.sql"), "utf8"));
    } finally {
      await client.end();
    }
    const a = schemaDump(migrated);
    const b = schemaDump(fromSchema);
    assert.ok(a.includes('CREATE TABLE public."AuditEvent"'), "the dump has the schema");
    // The change feed's triggers come from the migrations, not only from the file applied above.
    for (const trigger of ["Grant_replica_change", "User_replica_change", "ServiceClient_replica_change"]) {
      assert.ok(a.includes(`CREATE TRIGGER "${trigger}"`), `the migrations create trigger ${trigger}`);
    }
    assert.equal(
      a,
      b,
      "migrations and schema.prisma disagree: write the missing migration with `npm run db:new-migration -- <name>`",
    );
  });
});
