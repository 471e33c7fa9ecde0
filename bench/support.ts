/**
 * Pieces of the expiry benchmark that do not touch the app: statistics, the webhook receiver,
 * an SMTP sink and the worker child process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import type { Redis } from "ioredis";
import { dropDatabase } from "../lib/db/ensure-database";
import { SMTPServer } from "smtp-server";

export type TStats = {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
};

/** Nearest-rank percentiles; null for no samples. */
export const stats = (values: readonly number[]): TStats | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
  return {
    n: sorted.length,
    min: sorted[0] as number,
    p50: rank(50),
    p90: rank(90),
    p95: rank(95),
    p99: rank(99),
    max: sorted[sorted.length - 1] as number,
    mean: Math.round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
  };
};

export const formatStats = (label: string, s: TStats | null): string =>
  s === null
    ? `${label.padEnd(34)} (no samples)`
    : `${label.padEnd(34)} n=${String(s.n).padStart(4)}  min=${String(s.min).padStart(6)}  p50=${String(s.p50).padStart(6)}  p90=${String(s.p90).padStart(6)}  p99=${String(s.p99).padStart(6)}  max=${String(s.max).padStart(6)}  (ms)`;

export type TReceived = { webhookId: string; grantId: string; expiresAt: number; receivedAt: number; accepted: number };

/**
 * A local Standard Webhooks receiver: verifies every request with the caller's `verify`,
 * answers 401 to a bad signature (counted) and 204 otherwise, and keeps the first receive time
 * per webhook-id plus how many times each id was accepted (a second 2xx is a duplicate).
 */
export const startReceiver = async (
  verify: (headers: http.IncomingHttpHeaders, body: Buffer) => { ok: true; id: string } | { ok: false; reason: string },
) => {
  const received = new Map<string, TReceived>();
  const invalid: string[] = [];
  let requests = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const receivedAt = Date.now();
      requests += 1;
      const body = Buffer.concat(chunks);
      const result = verify(request.headers, body);
      if (!result.ok) {
        invalid.push(result.reason);
        response.writeHead(401).end();
        return;
      }
      const seen = received.get(result.id);
      if (seen) {
        seen.accepted += 1;
      } else {
        let grantId = "";
        let expiresAt = Number.NaN;
        try {
          const payload = JSON.parse(body.toString("utf8")) as { data?: { grantId?: string; expiresAt?: string } };
          grantId = payload.data?.grantId ?? "";
          expiresAt = Date.parse(payload.data?.expiresAt ?? "");
        } catch {
          // Signed but not JSON: kept with no grant, shows up as "unexpected".
        }
        received.set(result.id, { webhookId: result.id, grantId, expiresAt, receivedAt, accepted: 1 });
      }
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    received,
    invalid,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/**
 * Accepts every message, so notification e-mail succeeds instead of retrying. Counts them, and
 * by "recipient | subject" keeps how many came and their distinct Message-IDs (a copy re-sent
 * with the same Message-ID is one message to a mail store).
 */
export const startSmtpSink = async () => {
  let count = 0;
  const messages = new Map<string, number>();
  const messageIds = new Map<string, Set<string>>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    hideSTARTTLS: true,
    logger: false,
    onData: (stream, session, callback) => {
      let head = "";
      stream.on("data", (chunk: Buffer) => {
        if (head.length < 16_384) head += chunk.toString("utf8");
      });
      stream.on("end", () => {
        count += 1;
        const subject = /^Subject: (.*)$/im.exec(head)?.[1]?.trim() ?? "";
        const key = `${session.envelope.rcptTo.map((rcpt) => rcpt.address).join(",")} | ${subject}`;
        messages.set(key, (messages.get(key) ?? 0) + 1);
        const messageId = /^Message-ID: (.*)$/im.exec(head)?.[1]?.trim() ?? `(none ${count})`;
        messageIds.set(key, (messageIds.get(key) ?? new Set()).add(messageId));
        callback();
      });
    },
  });
  // A client killed mid-conversation (a SIGKILLed worker) resets its socket: not our failure.
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    count: () => count,
    messages,
    messageIds,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

export type TWorkerProcess = {
  child: ChildProcess;
  pid: number;
  /** Resolves when the worker logs `worker.up`; rejects if it exits first or after 60 s. */
  up: Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Log events seen on stdout, by name. */
  events: Map<string, number>;
  /** Failed jobs and relay errors, by job name and error. */
  failures: Map<string, number>;
};

/** `node --import tsx workers/index.ts`, stdout and stderr appended to `logFile`. */
export const spawnWorker = (options: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  label: string;
  preload?: string[];
  nodeArgs?: string[];
}): TWorkerProcess => {
  const log = createWriteStream(options.logFile, { flags: "a" });
  log.write(`\n===== ${new Date().toISOString()} ${options.label}\n`);
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      "--import",
      "tsx",
      ...(options.preload ?? []).flatMap((file) => ["--import", file]),
      "workers/index.ts",
    ],
    { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const events = new Map<string, number>();
  const failures = new Map<string, number>();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      log.write(`===== ${new Date().toISOString()} exit code=${code} signal=${signal}\n`);
      resolve({ code, signal });
    });
  });
  child.stderr?.pipe(log, { end: false });
  const up = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker did not log worker.up within 60 s (see ${options.logFile})`)),
      60_000,
    );
    timer.unref();
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      log.write(`${line}\n`);
      let parsed: { event?: string; job?: string; error?: string };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      const event = parsed.event;
      if (!event) return;
      events.set(event, (events.get(event) ?? 0) + 1);
      if (event === "job.failed" || event === "outbox.relay_error") {
        const key = `${parsed.job ?? event}: ${String(parsed.error ?? "").slice(0, 90)}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
      if (event === "worker.up") {
        clearTimeout(timer);
        resolve(Date.now());
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`worker exited before worker.up (code ${code}, signal ${signal}); see ${options.logFile}`));
    });
  });
  // Once up, a later exit is expected (kill mode, stop): never an unhandled rejection.
  up.catch(() => undefined);
  return { child, pid: child.pid ?? -1, up, exited, events, failures };
};

/** SIGTERM (graceful: in-flight jobs finish) and wait; SIGKILL after `timeoutMs`. */
export const stopWorker = async (worker: TWorkerProcess, timeoutMs = 40_000): Promise<void> => {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill("SIGTERM");
  const timer = setTimeout(() => worker.child.kill("SIGKILL"), timeoutMs);
  await worker.exited;
  clearTimeout(timer);
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Deletes every key under `prefix:` (a bench's own Redis namespace); the number deleted. */
export const deleteRedisPrefix = async (client: Redis, prefix: string): Promise<number> => {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== "0");
  return deleted;
};

/** A bench's own database and Redis keys: dropped, or with `keep` left in place (and said so). */
export const removeBenchData = async (options: {
  keep: boolean;
  databaseUrl: string;
  redis: Redis;
  prefix: string;
}): Promise<void> => {
  if (options.keep) {
    console.log(`--keep: database ${options.databaseUrl} and Redis keys ${options.prefix}:* left in place`);
    return;
  }
  await dropDatabase(options.databaseUrl).catch((error: unknown) =>
    console.error("could not drop the bench database:", error),
  );
  await deleteRedisPrefix(options.redis, options.prefix).catch((error: unknown) =>
    console.error("could not delete the bench Redis keys:", error),
  );
};
