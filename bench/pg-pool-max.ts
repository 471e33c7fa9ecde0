/**
 * Diagnostic preload for the expiry benchmark only (`--worker-pool-max=N`): gives every
 * pg.Pool the worker creates (Prisma's adapter uses pg's default of 10) `max: N`, to see how
 * much the connection pool limits lifecycle throughput. The app has no setting for this.
 */
import pg from "pg";

const max = Number(process.env.BENCH_PG_POOL_MAX);
if (Number.isInteger(max) && max > 0) {
  const Original = pg.Pool;
  pg.Pool = class extends Original {
    constructor(config?: pg.PoolConfig) {
      super({ ...config, max });
    }
  } as typeof pg.Pool;
}
