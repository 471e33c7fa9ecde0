/**
 * Exact, shared rate limits for the human flows (sign-in, passkey step-up, request creation).
 * Unlike the services API's limiter (lib/services/rate-limit.ts: local counts flushed every
 * 100 ms, built for thousands of checks a second), every attempt here is one Redis round trip:
 * these flows are a few requests a minute per person, and an exact count over every web
 * replica is what a lockout needs.
 *
 * A sliding window log: one sorted set per key holds the times of the attempts it let through
 * in the last window. One Lua script checks every key of a call (a person's and their IP's) and
 * records the attempt on all of them only if none is full, so a refused attempt costs no quota
 * and an allowed one is counted everywhere, atomically. A refusal also answers whether it is the
 * first of this lockout (a marker key that lives until the window frees a slot), so the caller
 * audits a lockout once instead of every refused click.
 *
 * Redis down or slow (more than `timeoutMs`): the same algorithm runs in this process's memory
 * and the call goes on. Limits then hold per web replica instead of in total; see
 * docs/decisions/0019-rate-limits-on-human-flows.md for why this fails open.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { logger } from "../log";
import { createIdleSafeRedis, redisKey } from "../redis";
import { withTimeout } from "../timeout";
import { currentTime } from "../clock";

export type TRateRule = { limit: number; windowMs: number };
/** One counter: `scope` (user, account, ip) and the value it counts by. */
export type TRateKey = { scope: string; id: string; rule: TRateRule };

export type TRateVerdict =
  | { ok: true; degraded: boolean }
  | {
      ok: false;
      /** Until every refusing counter has a free slot again. */
      retryAfterSeconds: number;
      /** The scopes that were full. */
      refusedScopes: string[];
      /** True for the first refusal of this lockout, false for the ones that follow it. */
      firstRefusal: boolean;
      /** True when Redis did not answer and this process's own counts decided. */
      degraded: boolean;
    };

// KEYS[1..n]: the counters; KEYS[n+1..2n]: their refusal markers.
// ARGV[1]: now (ms); ARGV[2]: a unique member; ARGV[1+2i], ARGV[2+2i]: limit and window of counter i.
// Returns {0} when allowed, else {wait ms, first refusal (0/1), refused counter indexes...}.
const SCRIPT = `
local n = #KEYS / 2
local now = tonumber(ARGV[1])
local wait = 0
local refused = {}
local waits = {}
for i = 1, n do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local freeing = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    local free_in = math.max(1, tonumber(freeing[2]) + window - now)
    if free_in > wait then wait = free_in end
    table.insert(refused, i)
    table.insert(waits, free_in)
  end
end
if #refused > 0 then
  local first = 0
  for j, i in ipairs(refused) do
    if redis.call('SET', KEYS[n + i], '1', 'NX', 'PX', waits[j]) then first = 1 end
  end
  local reply = {wait, first}
  for _, i in ipairs(refused) do table.insert(reply, i) end
  return reply
end
for i = 1, n do
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 + 2 * i]))
end
return {0}
`;

/** Values a client chose (an IdP subject) can be anything: long or odd ones become a digest. */
const safeId = (id: string): string =>
  /^[\w.:@-]{1,128}$/.test(id) ? id : createHash("sha256").update(id).digest("base64url");

/**
 * The counter's Redis key. The flow is a hash tag, so a call's keys share one Cluster slot
 * (a multi-key script needs that).
 */
export const rateLimitKey = (flow: string, key: Pick<TRateKey, "scope" | "id">): string =>
  redisKey("ratelimit", `{${flow}}`, key.scope, safeId(key.id));

// Its own connection, idle-safe: counting a sign-in must not keep a CLI or a test process alive.
const connection = createIdleSafeRedis({ maxRetriesPerRequest: 1, connectTimeout: 2_000 });

// ---- the in-process fallback: the same sliding window log, in this process's memory ----------

const local = new Map<string, number[]>();
const localMarkers = new Map<string, number>();

const takeLocally = (flow: string, keys: TRateKey[], now: number): TRateVerdict => {
  if (local.size > 10_000) {
    for (const [key, hits] of local)
      if (hits.length === 0 || hits[hits.length - 1]! <= now - 86_400_000) local.delete(key);
    for (const [key, until] of localMarkers) if (until <= now) localMarkers.delete(key);
  }
  let wait = 0;
  const refused: Array<{ key: TRateKey; name: string; freeIn: number }> = [];
  const counters = keys.map((key) => {
    const name = rateLimitKey(flow, key);
    const hits = (local.get(name) ?? []).filter((at) => at > now - key.rule.windowMs);
    local.set(name, hits);
    if (hits.length >= key.rule.limit) {
      const freeIn = Math.max(1, hits[hits.length - key.rule.limit]! + key.rule.windowMs - now);
      wait = Math.max(wait, freeIn);
      refused.push({ key, name, freeIn });
    }
    return hits;
  });
  if (refused.length > 0) {
    let firstRefusal = false;
    for (const { name, freeIn } of refused) {
      if ((localMarkers.get(name) ?? 0) <= now) {
        localMarkers.set(name, now + freeIn);
        firstRefusal = true;
      }
    }
    return {
      ok: false,
      retryAfterSeconds: Math.ceil(wait / 1000),
      refusedScopes: refused.map(({ key }) => key.scope),
      firstRefusal,
      degraded: true,
    };
  }
  for (const hits of counters) hits.push(now);
  return { ok: true, degraded: true };
};

let lastWarning = 0;
const warnDegraded = (error: unknown, now: number) => {
  // Once a minute at most: an outage must not flood the log with one line per sign-in.
  if (now - lastWarning < 60_000) return;
  lastWarning = now;
  logger().warn(
    {
      event: { action: "ratelimit.degraded" },
      error: { message: error instanceof Error ? error.message : String(error) },
    },
    "rate limits: Redis did not answer; counting in this process only",
  );
};

/**
 * Counts one attempt of `flow` against every key, or refuses it without counting it anywhere
 * when any key is at its limit. Keys with an empty id are skipped (no IP known, say).
 */
export const takeRateLimit = async (options: {
  flow: string;
  keys: TRateKey[];
  now?: number;
  /** Tests pass a client that cannot connect; the app uses the shared connection. */
  client?: Redis;
  timeoutMs?: number;
}): Promise<TRateVerdict> => {
  const now = options.now ?? currentTime().getTime();
  const keys = options.keys.filter((key) => key.id !== "");
  if (keys.length === 0) return { ok: true, degraded: false };
  const names = keys.map((key) => rateLimitKey(options.flow, key));
  const args = [
    String(now),
    `${now}:${randomUUID()}`,
    ...keys.flatMap((key) => [String(key.rule.limit), String(key.rule.windowMs)]),
  ];
  let reply: unknown;
  try {
    const run = (client: Redis) =>
      client.eval(SCRIPT, names.length * 2, ...names, ...names.map((name) => `${name}:refused`), ...args);
    const timeoutMs = options.timeoutMs ?? 500;
    reply = await withTimeout(
      options.client ? run(options.client) : connection.use(run),
      timeoutMs,
      `no answer from Redis within ${timeoutMs} ms`,
    );
  } catch (error) {
    warnDegraded(error, now);
    return takeLocally(options.flow, keys, now);
  }
  const [wait, first, ...refused] = Array.isArray(reply) ? reply.map(Number) : [];
  if (!wait) return { ok: true, degraded: false };
  return {
    ok: false,
    retryAfterSeconds: Math.ceil(wait / 1000),
    refusedScopes: refused.map((index) => keys[index - 1]?.scope ?? "unknown"),
    firstRefusal: first === 1,
    degraded: false,
  };
};
