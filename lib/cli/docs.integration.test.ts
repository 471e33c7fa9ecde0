/**
 * The docs' commands, run as a reader would: every `runnable` shell block of the README and
 * docs/ against this run's database, and the README's first command, `npm run dev`, on a
 * database of its own, until the portal, its IdP and its API answer.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { after, describe, it } from "node:test";
import { dropDatabase } from "../db/ensure-database";
import { disconnectDb } from "../db";
import { seedDemoData } from "../../prisma/seed";
import { docFiles, shellBlocks } from "./doc-blocks";
import { ROOT } from "./run";

after(disconnectDb);

describe("the docs' runnable commands", () => {
  const blocks = docFiles()
    .flatMap(shellBlocks)
    .filter((block) => block.tag === "runnable");

  it("are there to run", () => assert.ok(blocks.length >= 2, "the services and audit pages have runnable blocks"));

  for (const block of blocks) {
    it(`${block.file}:${block.line} runs every command with exit code 0`, async () => {
      await seedDemoData();
      for (const command of block.commands) {
        const result = spawnSync("bash", ["-c", command], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
        assert.equal(result.status, 0, `${command}\n${result.stdout}\n${result.stderr}`);
      }
    });
  }
});

describe("npm run dev (the README's first command)", () => {
  it("creates its database, seeds the demo, and serves the portal, the dev IdP and the services API", async () => {
    const base = 20_000 + (process.pid % 5_000) * 2;
    const ports = { app: base, idp: base + 1, api: base + 2, smtp: base + 3 };
    const databaseUrl = new URL(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/x");
    databaseUrl.pathname = `/jit_dev_doc_${process.pid}`;
    const child = spawn("npm", ["run", "dev"], {
      cwd: ROOT,
      detached: true,
      env: {
        ...process.env,
        NODE_ENV: "development",
        DATABASE_URL: databaseUrl.toString(),
        REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? "jit-test"}-dev`,
        APP_URL: `http://localhost:${ports.app}`,
        DEV_IDP_PORT: String(ports.idp),
        API_PORT: String(ports.api),
        DEV_SMTP_PORT: String(ports.smtp),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const answer = async (url: string, deadline: number): Promise<Response> => {
      for (;;) {
        try {
          return await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(120_000) });
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`${url} never answered: ${String(error)}\n${output.slice(-3000)}`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    };
    try {
      const deadline = Date.now() + 240_000;
      const signIn = await answer(`http://localhost:${ports.app}/signin`, deadline);
      assert.equal(signIn.status, 200, output.slice(-3000));
      assert.match(await signIn.text(), /Sign in/i);
      const idp = await answer(`http://localhost:${ports.idp}/.well-known/openid-configuration`, deadline);
      assert.equal(((await idp.json()) as { issuer: string }).issuer, `http://localhost:${ports.idp}`);
      const jwks = await answer(`http://localhost:${ports.api}/.well-known/jwks.json`, deadline);
      assert.equal(jwks.status, 200);
      assert.match(output, /demo data: \d+ resources/);
    } finally {
      process.kill(-(child.pid ?? 0), "SIGINT");
      const stopped = await Promise.race([
        once(child, "exit").then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), 20_000)),
      ]);
      if (!stopped) process.kill(-(child.pid ?? 0), "SIGKILL");
      await dropDatabase(databaseUrl.toString()).catch(() => undefined);
      // `npm run dev` also wires the demo PostgreSQL target, `<database>_target` (prisma/demo-target.ts).
      const target = new URL(databaseUrl);
      target.pathname = `${databaseUrl.pathname}_target`;
      await dropDatabase(target.toString()).catch(() => undefined);
    }
  });
});
