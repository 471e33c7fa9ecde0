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

  take(key: string, now = Date.now()): TRateDecision {
    const window = Math.floor(now / this.options.windowMs);
    let state = this.states.get(key);
    if (!state || state.window !== window) {
      state = { window, remote: 0, pending: 0, inFlight: 0 };
      this.states.set(key, state);
    }
    if (state.remote + state.inFlight + state.pending >= this.options.limit) {
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * this.options.windowMs - now) / 1000)),
      };
    }
    state.pending += 1;
    return { ok: true };
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
