/**
 * Preload (`--import ./bench/query-stats.mjs`, set through NODE_OPTIONS by `npm run bench:load
 * -- --query-stats`): counts, for every HTTP request the process serves, the SQL statements it
 * sent (pg's Client#query, which Prisma's pg adapter calls) and the Redis commands (ioredis),
 * grouped by operation: a server action by its exported name, a page by its path with ids
 * folded. Writes `<BENCH_QUERY_STATS>/<script>-<pid>.json` at exit. The counts say how many
 * round trips an operation costs; a diagnostic for issue 16 (docs/bench-load.md).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";

const dir = process.env.BENCH_QUERY_STATS;
if (dir) {
  const script = process.argv[1] ?? path.join(process.cwd(), "index.js");
  const require = createRequire(path.resolve(script));
  const store = new AsyncLocalStorage();
  /** @type {Map<string, { requests: number, sql: number, redis: number, statements: Map<string, number>, commands: Map<string, number> }>} */
  const byOperation = new Map();

  const manifestPath = path.join(
    path.dirname(path.resolve(script)),
    ".next",
    "server",
    "server-reference-manifest.json",
  );
  const actionNames = new Map();
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    for (const [id, entry] of Object.entries(manifest.node ?? {})) actionNames.set(id, entry.exportedName ?? id);
  }
  const fold = (url) =>
    (url ?? "/")
      .split("?")[0]
      .replace(/\/request\/[^/]+/, "/request/[key]")
      .replace(/\/[a-z0-9]{20,}(?=\/|$)/g, "/[id]")
      .replace(/\/[0-9a-f-]{36}(?=\/|$)/g, "/[id]");
  const operationOf = (request) => {
    const action = request.headers["next-action"];
    if (action) return `action ${actionNames.get(action) ?? action}`;
    return `${request.method} ${fold(request.url)}`;
  };
  const entry = (key) => {
    let found = byOperation.get(key);
    if (!found) {
      found = { requests: 0, sql: 0, redis: 0, statements: new Map(), commands: new Map() };
      byOperation.set(key, found);
    }
    return found;
  };
  const current = () => entry(store.getStore() ?? "(outside a request)");

  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, request, ...rest) {
    if (event !== "request") return emit.call(this, event, request, ...rest);
    const key = operationOf(request);
    entry(key).requests++;
    return store.run(key, () => emit.call(this, event, request, ...rest));
  };

  try {
    const pg = require("pg");
    const counted = Symbol("counted");
    const count = (config) => {
      const text = typeof config === "string" ? config : config?.text;
      if (!text) return;
      const counts = current();
      counts.sql++;
      const short = text.replace(/\s+/g, " ").slice(0, 160);
      counts.statements.set(short, (counts.statements.get(short) ?? 0) + 1);
    };
    // Pool#query runs its statement in the callback of a pooled client, in the async context of
    // whoever released that client: count it here, where the caller's context is still current.
    const poolQuery = pg.Pool.prototype.query;
    pg.Pool.prototype.query = function (config, ...rest) {
      count(config);
      if (config && typeof config === "object") config[counted] = true;
      return poolQuery.call(this, config, ...rest);
    };
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (config, ...rest) {
      if (!(config && typeof config === "object" && config[counted])) count(config);
      return query.call(this, config, ...rest);
    };
  } catch {
    // no pg in this process
  }
  try {
    const { Redis } = require("ioredis");
    const sendCommand = Redis.prototype.sendCommand;
    Redis.prototype.sendCommand = function (command, ...rest) {
      const counts = current();
      counts.redis++;
      const name = command?.name ?? "?";
      counts.commands.set(name, (counts.commands.get(name) ?? 0) + 1);
      return sendCommand.call(this, command, ...rest);
    };
  } catch {
    // no ioredis in this process
  }

  process.on("exit", () => {
    mkdirSync(dir, { recursive: true });
    const out = Object.fromEntries(
      [...byOperation].map(([key, value]) => [
        key,
        {
          requests: value.requests,
          sql: value.sql,
          redis: value.redis,
          statements: Object.fromEntries([...value.statements].sort((a, b) => b[1] - a[1])),
          commands: Object.fromEntries([...value.commands].sort((a, b) => b[1] - a[1])),
        },
      ]),
    );
    const name = path.basename(script).replace(/\.\w+$/, "");
    writeFileSync(path.join(dir, `${name}-${process.pid}.json`), JSON.stringify(out, null, 2));
  });
}
