/**
 * `npm start`'s web copies (lib/cli/web-cluster.mjs), with a stand-in for the standalone
 * server: a real HTTP server on one shared port that answers with its process id.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { freePort } from "../testing/free-port";

const CLUSTER = path.join(import.meta.dirname, "web-cluster.mjs");
/** What signalling a process that no longer exists throws. */
const GONE = { code: "ESRCH" };

/** A server like Next's: listens on PORT, and on SIGTERM closes and exits 0. */
const standIn = (): string => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "jit-web-")), "server.mjs");
  writeFileSync(
    file,
    `import http from "node:http";
const server = http.createServer((req, res) => res.end(String(process.pid)));
server.keepAliveTimeout = 1;
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`,
  );
  return file;
};

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", resolve)));

const answering = async (port: number, times: number): Promise<Set<string>> => {
  const pids = new Set<string>();
  for (let attempt = 0; attempt < times; attempt += 1) {
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
      pids.add(await answer.text());
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return pids;
};

const start = async (copies: number) => {
  const port = await freePort();
  const primary = spawn(process.execPath, [CLUSTER, standIn(), String(copies)], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return { port, primary };
};

describe("the web server's copies", () => {
  it("shares one port among the copies, and stops them all, cleanly, on SIGTERM", async () => {
    const { port, primary } = await start(2);
    const pids = await answering(port, 40);
    assert.equal(pids.size, 2, `two processes answered: ${[...pids].join(", ")}`);
    primary.kill("SIGTERM");
    assert.equal(await exited(primary), 0);
    for (const pid of pids) assert.throws(() => process.kill(Number(pid), 0), GONE, "each copy has exited");
  });

  it("stops the others and exits non-zero when a copy dies, so the failure is seen", async () => {
    const { port, primary } = await start(2);
    const pids = [...(await answering(port, 40))];
    assert.equal(pids.length, 2);
    process.kill(Number(pids[0]), "SIGKILL");
    assert.notEqual(await exited(primary), 0);
    assert.throws(() => process.kill(Number(pids[1]), 0), GONE, "the other copy was stopped");
  });

  it("refuses a count that is not a positive whole number", async () => {
    for (const copies of ["0", "two", "1.5"]) {
      const primary = spawn(process.execPath, [CLUSTER, standIn(), copies], { stdio: "ignore" });
      assert.equal(await exited(primary), 2, copies);
    }
  });
});
