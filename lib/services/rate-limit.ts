/**
 * Per-client rate limits shared by every API replica: a fixed window counted in Redis. A
 * Redis round trip per request would cost the data plane most of its speed, so each replica
 * counts locally and adds its count to Redis every `flushMs` (one pipelined INCRBY per busy
 * client), learning the others' counts in the same reply. A replica enforces
 * `(count in Redis as last seen) + (its own not yet flushed)`: exact for one replica, and over
 * N replicas at most N x (one flush interval of traffic) above the limit. If Redis is down the
 * local counts still apply.
 */
import type { Redis } from "ioredis";

type TWindowState = { window: number; remote: number; pending: number; inFlight: number };

export type TRateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export class RateLimiter {
  private readonly states = new Map<string, TWindowState>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: { limit: number; windowMs: number; redis: Redis; keyPrefix: string; flushMs?: number },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushMs ?? 100);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private stateOf(key: string, now: number): TWindowState {
    const window = Math.floor(now / this.options.windowMs);
    let state = this.states.get(key);
    if (!state || state.window !== window) {
      state = { window, remote: 0, pending: 0, inFlight: 0 };
      this.states.set(key, state);
    }
    return state;
  }

  private refusal(state: TWindowState, now: number): TRateDecision {
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil(((state.window + 1) * this.options.windowMs - now) / 1000)),
    };
  }

  /** Counts one attempt if the key is under its limit; a refused take counts nothing. */
  take(key: string, now = Date.now()): TRateDecision {
    const state = this.stateOf(key, now);
    if (state.remote + state.inFlight + state.pending >= this.options.limit) return this.refusal(state, now);
    state.pending += 1;
    return { ok: true };
  }

  /** What this window has counted for the key so far (for limits that count only some outcomes, e.g. failures). */
  count(key: string, now = Date.now()): number {
    const state = this.states.get(key);
    if (!state || state.window !== Math.floor(now / this.options.windowMs)) return 0;
    return state.remote + state.inFlight + state.pending;
  }

  /** Whether the key is at its limit, without counting anything. */
  check(key: string, now = Date.now()): TRateDecision {
    const state = this.stateOf(key, now);
    return state.remote + state.inFlight + state.pending >= this.options.limit
      ? this.refusal(state, now)
      : { ok: true };
  }

  /** Counts one occurrence whatever the limit (a failure that already happened). */
  add(key: string, now = Date.now()): void {
    this.stateOf(key, now).pending += 1;
  }

  async flush(): Promise<void> {
    const batch: Array<{ key: string; state: TWindowState; count: number }> = [];
    for (const [key, state] of this.states) {
      if (state.pending > 0) {
        batch.push({ key, state, count: state.pending });
        state.inFlight += state.pending;
        state.pending = 0;
      } else if (state.inFlight === 0 && state.window < Math.floor(Date.now() / this.options.windowMs)) {
        this.states.delete(key);
      }
    }
    if (batch.length === 0) return;
    const pipeline = this.options.redis.pipeline();
    for (const { key, state, count } of batch) {
      const redisKey = `${this.options.keyPrefix}:${key}:${state.window}`;
      pipeline.incrby(redisKey, count);
      pipeline.pexpire(redisKey, this.options.windowMs * 2);
    }
    try {
      const results = await pipeline.exec();
      batch.forEach(({ state, count }, index) => {
        state.inFlight -= count;
        const total = results?.[index * 2]?.[1];
        if (typeof total === "number") state.remote = Math.max(state.remote, total);
        else state.remote += count;
      });
    } catch {
      for (const { state, count } of batch) {
        state.inFlight -= count;
        state.remote += count;
      }
    }
  }
}
