/**
 * `npm run db:new-migration -- <name> [--from <git-rev>]`: writes the next migration from the
 * change to prisma/schema.prisma since <git-rev> (default HEAD). Prisma's own `migrate dev`
 * cannot run offline with this Prisma version (docs/decisions/0001-prisma-offline.md), so
 * this diffs the two schema files instead; the migrations test then proves that the
 * migrations reproduce the schema exactly.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkServices, loadConfigOrExplain, PreflightError } from "./preflight";
import { ROOT } from "./run";

const main = async () => {
  const args = process.argv.slice(2);
  const fromIndex = args.indexOf("--from");
  const rev = fromIndex >= 0 ? args[fromIndex + 1] : "HEAD";
  const name = args.find((arg, index) => !arg.startsWith("--") && !(fromIndex >= 0 && index === fromIndex + 1));
  if (!name || !/^[a-z0-9_]+$/.test(name) || !rev) {
    throw new PreflightError("usage: npm run db:new-migration -- <name_in_snake_case> [--from <git-rev>]");
  }
  // The CLI's adapter connects even for a file-to-file diff, so the database must exist.
  await checkServices(loadConfigOrExplain());

  const previous = path.join(mkdtempSync(path.join(tmpdir(), "jit-schema-")), "schema.prisma");
  writeFileSync(previous, execFileSync("git", ["show", `${rev}:prisma/schema.prisma`], { cwd: ROOT }));
  const sql = execFileSync(
    "npx",
    [
      "prisma",
      "migrate",
      "diff",
      "--from-schema-datamodel",
      previous,
      "--to-schema-datamodel",
      "prisma/schema.prisma",
      "--script",
    ],
    { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (/^-- This is an empty migration\.\s*$/.test(sql.trim()) || sql.trim() === "") {
    console.log(`prisma/schema.prisma has not changed since ${rev}: no migration written.`);
    return;
  }
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const dir = path.join(ROOT, "prisma", "migrations", `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "migration.sql"), sql);
  console.log(`wrote ${path.relative(ROOT, dir)}/migration.sql; review it, then \`npm run db:migrate\`.`);
};

main().catch((error: unknown) => {
  console.error(error instanceof PreflightError ? error.message : error);
  process.exit(1);
});
