/**
 * What stands between a flood and the token endpoint's one expensive step, the scrypt hash of a
 * presented secret (docs/decisions/0025-token-endpoint-under-flood.md):
 *
 * - per client address, every request counted (`admitRequest`, before the body is read);
 * - per client address, failed authentications counted (hashes under way included): past the
 *   limit that address gets 429 before the database is asked or anything hashed;
 * - per client id, failed authentications only: past the limit, an address that has itself failed
 *   in the window gets 429 for that id without hashing, while an address with no failure (the
 *   client's own, normally) is still verified. A client's successes never count, so nobody can lock
 *   a client out by failing with its id;
 * - a secret this replica has verified before is recognised by its SHA-256 digest (the secrets are
 *   32 random bytes: a fast digest of them cannot be searched), so a legitimate client costs no
 *   hash and is behind neither the per-client failure limit nor the queue below;
 * - a bounded queue for the hashes themselves: `hashConcurrency` at once, `hashQueue` waiting,
 *   past that 503 with Retry-After (before the database is asked) rather than a growing backlog.
 *
 * The counters are the services API's (lib/services/rate-limit.ts): counted locally, shared
 * through Redis every 100 ms.
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import type { Redis } from "ioredis";
import { RateLimiter } from "./rate-limit";

export type TTokenGuardOptions = {
  perIp: number;
  failuresPerIp: number;
  failuresPerClient: number;
  windowMs: number;
  hashConcurrency: number;
  hashQueue: number;
  redis: Redis;
  keyPrefix: string;
};

/** A refusal before any hash: 429 with Retry-After. `reason` is from a closed list (the audit's bucket). */
export class TokenThrottledError extends Error {
  constructor(
    readonly reason: "rate_limited: address" | "rate_limited: address failures" | "rate_limited: client failures",
    readonly retryAfterSeconds: number,
    /** The client under attack, for a refusal by its failure limit. */
    readonly clientId: string | null = null,
  ) {
    super("Too many token requests; retry later.");
    this.name = "TokenThrottledError";
  }
}

/** The hashing queue is full: 503 with Retry-After. */
export class TokenBusyError extends Error {
  readonly reason = "unavailable: hash queue full";
  readonly retryAfterSeconds = 1;
  constructor() {
    super("The token endpoint is busy; retry in a second.");
    this.name = "TokenBusyError";
  }
}

/**
 * The key an address is counted under: an IPv4 address as it is, an IPv6 address by its /64
 * (one subscriber's allocation, which they can fill with as many addresses as they like).
 */
export const addressKey = (ip: string): string => {
  if (isIP(ip) !== 6) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
};

/** At most `concurrency` tasks at once and `maxWaiting` waiting; past that `run` throws TokenBusyError. */
export class BoundedQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  get size(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  get full(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.maxWaiting;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) this.running += 1;
    else if (this.waiting.length < this.maxWaiting) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else throw new TokenBusyError();
    try {
      return await task();
    } finally {
      // The slot passes to the next waiting task, or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

const VERIFIED_MAX = 10_000;
const verifiedKey = (clientId: string, secret: string): string =>
  `${clientId}\u0000${createHash("sha256").update(secret, "utf8").digest("base64url")}`;

export class TokenGuard {
  private readonly requests: RateLimiter;
  private readonly addressFailures: RateLimiter;
  private readonly clientFailures: RateLimiter;
  private readonly queue: BoundedQueue;
  /** (client id, SHA-256 of a secret that matched here) -> the secret row it matched. */
  private readonly verified = new Map<string, string>();
  /** Hashes under way per address key. */
  private readonly pending = new Map<string, number>();

  constructor(private readonly options: TTokenGuardOptions) {
    const common = { windowMs: options.windowMs, redis: options.redis };
    this.requests = new RateLimiter({ ...common, limit: options.perIp, keyPrefix: `${options.keyPrefix}:ip` });
    this.addressFailures = new RateLimiter({
      ...common,
      limit: options.failuresPerIp,
      keyPrefix: `${options.keyPrefix}:ip-failures`,
    });
    this.clientFailures = new RateLimiter({
      ...common,
      limit: options.failuresPerClient,
      keyPrefix: `${options.keyPrefix}:client-failures`,
    });
    this.queue = new BoundedQueue(options.hashConcurrency, options.hashQueue);
  }

  start(): void {
    this.requests.start();
    this.addressFailures.start();
    this.clientFailures.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.requests.stop(), this.addressFailures.stop(), this.clientFailures.stop()]);
  }

  get queueSize(): { running: number; waiting: number } {
    return this.queue.size;
  }

  /**
   * Every token request, before its body is read or the database asked: the address's request
   * limit, and its failure limit (an address past it would be refused before any hash anyway).
   */
  admitRequest(ip: string, now = Date.now()): void {
    const address = addressKey(ip);
    this.admitFailures(address, now);
    const decision = this.requests.take(address, now);
    if (!decision.ok) throw new TokenThrottledError("rate_limited: address", decision.retryAfterSeconds);
  }

  /** Refuses an address whose failures (hashes under way included) reached its limit; returns its count. */
  private admitFailures(address: string, now: number): number {
    const failures = this.addressFailures.count(address, now) + (this.pending.get(address) ?? 0);
    const byAddress = this.addressFailures.check(address, now);
    if (!byAddress.ok || failures >= this.options.failuresPerIp) {
      throw new TokenThrottledError(
        "rate_limited: address failures",
        byAddress.ok ? Math.max(1, Math.ceil(this.options.windowMs / 1000)) : byAddress.retryAfterSeconds,
      );
    }
    return failures;
  }

  /**
   * The secret row that `secret` matched for this client here before, if any: no hash needed.
   * Keyed by the secret's SHA-256, which cannot be searched for a 32-byte random secret.
   */
  knownSecretId(clientId: string, secret: string): string | undefined {
    return this.verified.get(verifiedKey(clientId, secret));
  }

  rememberSecret(clientId: string, secretId: string, secret: string): void {
    const key = verifiedKey(clientId, secret);
    if (this.verified.size >= VERIFIED_MAX && !this.verified.has(key)) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(key, secretId);
  }

  /** A request that will need a hash, refused before the database is asked when the queue is full. */
  assertCapacity(): void {
    if (this.queue.full) throw new TokenBusyError();
  }

  /**
   * Verifies a presented secret with `task` (a hash; null for no match), if this address may
   * spend one on this client id (null: an id that does not exist): TokenThrottledError when it
   * may not, TokenBusyError when the queue is full. Hashes under way count as failures until they
   * end, so a burst of concurrent attempts from one address cannot all slip under its limit.
   * A null result is counted as a failure of the address and of the client id.
   */
  async verify<T>(options: { ip: string; clientId: string | null }, task: () => Promise<T | null>): Promise<T | null> {
    const now = Date.now();
    const address = addressKey(options.ip);
    const failures = this.admitFailures(address, now);
    if (options.clientId) {
      const byClient = this.clientFailures.check(options.clientId, now);
      // An address with no failure in this window is still heard: the client itself, most likely.
      if (!byClient.ok && failures > 0)
        throw new TokenThrottledError("rate_limited: client failures", byClient.retryAfterSeconds, options.clientId);
    }
    this.pending.set(address, (this.pending.get(address) ?? 0) + 1);
    let result: T | null;
    try {
      result = await this.queue.run(task);
    } finally {
      const left = (this.pending.get(address) ?? 1) - 1;
      if (left > 0) this.pending.set(address, left);
      else this.pending.delete(address);
    }
    if (result === null) this.recordFailure({ ip: options.ip, clientId: options.clientId });
    return result;
  }

  private recordFailure(options: { ip: string; clientId: string | null; now?: number }): void {
    const now = options.now ?? Date.now();
    this.addressFailures.add(addressKey(options.ip), now);
    if (options.clientId) this.clientFailures.add(options.clientId, now);
  }
}
