import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * `next build` with `output: "standalone"` writes a self-contained server here; the build
 * copies the static assets beside it (lib/cli/standalone-assets.ts), as Next leaves that to us.
 */
export const STANDALONE_DIR = path.join(ROOT, ".next", "standalone");
export const STANDALONE_SERVER = path.join(STANDALONE_DIR, "server.js");

/**
 * Loaded into the web server's process with `--import`: decides the client's address from the
 * connection and TRUST_PROXY, replacing whatever X-Forwarded-For a client sent.
 */
export const CLIENT_IP_HOOK = pathToFileURL(path.join(ROOT, "lib", "security", "client-ip-hook.mjs")).href;

/** Next's CLI, run with this node directly so that signals reach it. */
export const NEXT_BIN = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");

/**
 * Runs a command to completion with inherited output; resolves to its exit code. SIGTERM and
 * SIGINT received meanwhile are passed on, so a server run this way shuts down gracefully.
 */
export const runCommand = (
  command: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGTERM", forward);
    process.on("SIGINT", forward);
    child.on("exit", (code, signal) => {
      process.off("SIGTERM", forward);
      process.off("SIGINT", forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });

/** Starts a long-running child whose output lines are prefixed with its name. */
export const startChild = (
  name: string,
  command: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): ChildProcess => {
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const prefix = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    let buffer = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  if (child.stdout) prefix(child.stdout, process.stdout);
  if (child.stderr) prefix(child.stderr, process.stderr);
  return child;
};
