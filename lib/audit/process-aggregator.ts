import { getConfig } from "../config";
import { logger } from "../log";
import { AuditAggregator } from "./aggregator";

// One per process and operation, kept on globalThis: Next.js may load a module more than once.
const globalForAggregators = globalThis as unknown as { jitAggregators?: Map<string, AuditAggregator> };
const aggregators = (): Map<string, AuditAggregator> => (globalForAggregators.jitAggregators ??= new Map());

/**
 * The process's aggregator for refusals of unauthenticated traffic of one kind (ADR 0024),
 * started on first use with the configured window. A failed write is logged and the counts
 * are kept for the next window. `what` names them in that log line ("refused SCIM tokens").
 */
export const processAggregator = (operation: string, what: string): AuditAggregator => {
  const existing = aggregators().get(operation);
  if (existing) return existing;
  const created = new AuditAggregator({
    windowMs: getConfig().unauthenticatedAuditWindowMs,
    onError: (error) =>
      logger().error(
        { event: { action: `${operation}.aggregate` }, error: { message: String(error) } },
        `could not write the aggregate of ${what}; kept for the next window`,
      ),
  });
  created.start();
  aggregators().set(operation, created);
  return created;
};

/** Writes the window's aggregate of `operation` now (tests, shutdown). */
export const flushProcessAggregator = (operation: string): Promise<void> =>
  aggregators().get(operation)?.flush() ?? Promise.resolve();
