/**
 * Audit at data-plane volume. Writing one hash-chained event per check would serialise every
 * check on the audit chain's lock, so the API server aggregates: one event per window, per
 * (action, client, outcome, reason), with the count and the distinct (subject, resource,
 * permission) tuples seen (up to MAX_TUPLES, then `truncated: true`). The events say so
 * themselves: action `<operation>.aggregate`, `details.aggregated = true` and the window.
 * Token issuance is not aggregated (lib/services/tokens.ts audits each one).
 * What is buffered is flushed every window and at shutdown; a SIGKILL loses at most one window.
 */
import { appendAuditEvent } from "../audit";
import { db } from "../db";

const MAX_TUPLES = 500;

export type TAuditRecord = {
  /** e.g. `access.check`, `grants.read`. */
  operation: string;
  clientId: string | null;
  outcome: "ALLOWED" | "DENIED";
  /** Why it was refused: `not_held`, `invalid_token`, `insufficient_scope`, `rate_limited`, `invalid_request`. */
  reason?: string;
  tuple?: { subject: string; resource: string; permission: string };
  /** performance.now() when the request arrived, for the latency metric. */
  startedAt?: number;
};

type TBucket = {
  record: TAuditRecord;
  count: number;
  tuples: Map<string, { subject: string; resource: string; permission: string; count: number }>;
  truncated: boolean;
};

const bucketKey = (record: TAuditRecord): string =>
  `${record.operation}\u0000${record.clientId ?? ""}\u0000${record.outcome}\u0000${record.reason ?? ""}`;

export class AuditAggregator {
  private buckets = new Map<string, TBucket>();
  private windowStart = new Date();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: { windowMs: number; onError?: (error: unknown) => void }) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.windowMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  record(record: TAuditRecord): void {
    const key = bucketKey(record);
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { record, count: 0, tuples: new Map(), truncated: false }));
    bucket.count += 1;
    if (record.tuple) {
      const tupleKey = `${record.tuple.subject}\u0000${record.tuple.resource}\u0000${record.tuple.permission}`;
      const seen = bucket.tuples.get(tupleKey);
      if (seen) seen.count += 1;
      else if (bucket.tuples.size < MAX_TUPLES) bucket.tuples.set(tupleKey, { ...record.tuple, count: 1 });
      else bucket.truncated = true;
    }
  }

  /** Writes what the window holds in one transaction; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buckets.size === 0) {
        this.windowStart = new Date();
        return;
      }
      const buckets = [...this.buckets.values()];
      const window = { start: this.windowStart.toISOString(), end: new Date().toISOString() };
      this.buckets = new Map();
      this.windowStart = new Date();
      try {
        await db.$transaction(async (tx) => {
          for (const bucket of buckets) {
            const { record } = bucket;
            await appendAuditEvent(tx, {
              actorType: record.clientId ? "SERVICE" : "ANONYMOUS",
              actorId: record.clientId,
              action: `${record.operation}.aggregate`,
              targetType: "service_client",
              targetId: record.clientId,
              outcome: record.outcome,
              reason: record.reason ?? null,
              details: {
                aggregated: true,
                window,
                count: bucket.count,
                tuples: [...bucket.tuples.values()],
                truncated: bucket.truncated,
              },
            });
          }
        });
      } catch (error) {
        // Keep the counts for the next window rather than lose them.
        for (const bucket of buckets) {
          const key = bucketKey(bucket.record);
          const current = this.buckets.get(key);
          if (current) current.count += bucket.count;
          else this.buckets.set(key, bucket);
        }
        this.options.onError?.(error);
      }
    });
    return this.flushing;
  }
}
