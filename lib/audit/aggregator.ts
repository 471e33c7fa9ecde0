/**
 * Audit at volume: one hash-chained event per window for many occurrences of the same thing.
 * Writing one event per occurrence would serialise every caller on the audit chain's lock, and
 * for traffic nobody authenticated (garbage session cookies, token requests with made-up client
 * ids) it would let anyone outside grow the table without bound. So a process aggregates: one
 * event per window, per (operation, client, outcome, reason), with the count, the distinct
 * (subject, resource, permission) tuples seen (up to MAX_TUPLES) and the client addresses seen
 * with their counts (up to MAX_SOURCES), each list flagged `truncated` past its cap. The events
 * say so themselves: action `<operation>.aggregate`, `details.aggregated = true` and the window.
 * Used for the services API's checks and listings (docs/decisions/0008-aggregated-check-audit.md)
 * and for unauthenticated refusals on the web and at the token endpoint
 * (docs/decisions/0024-unauthenticated-traffic-is-counted.md).
 * What is buffered is flushed every window and at shutdown; a SIGKILL loses at most one window.
 */
import { db } from "../db";
import { appendAuditEvent } from "./append-audit-event";

const MAX_TUPLES = 500;
const MAX_SOURCES = 100;
/** Distinct buckets per window: the reasons are a closed list, this only guards against a bug making them open. */
const MAX_BUCKETS = 1_000;

export type TAuditRecord = {
  /** e.g. `access.check`, `grants.read`, `service.token.issue`, `auth.sign_in`. */
  operation: string;
  clientId: string | null;
  outcome: "ALLOWED" | "DENIED" | "ERROR";
  /** Why it was refused, from a closed list: `not_held`, `invalid_token`, `rate_limited`, `JWT_SESSION_ERROR`... */
  reason?: string;
  tuple?: { subject: string; resource: string; permission: string };
  /** The client's address, counted per bucket. */
  ip?: string | null;
  /** The event's target type (default `service_client`; null for none). */
  targetType?: string | null;
  /** A sample of what was said (an error message): the first of the window is kept, cut to 300 characters. */
  sample?: string;
  /** performance.now() when the request arrived, for the latency metric. */
  startedAt?: number;
};

type TBucket = {
  record: TAuditRecord;
  count: number;
  tuples: Map<string, { subject: string; resource: string; permission: string; count: number }>;
  truncated: boolean;
  sources: Map<string, number>;
  sourcesTruncated: boolean;
};

const bucketKey = (record: TAuditRecord): string =>
  `${record.operation}\u0000${record.clientId ?? ""}\u0000${record.outcome}\u0000${record.reason ?? ""}`;

export class AuditAggregator {
  private buckets = new Map<string, TBucket>();
  private windowStart = new Date();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private dropped = 0;

  constructor(private readonly options: { windowMs: number; onError?: (error: unknown) => void }) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.windowMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Counts one occurrence; true when it is the first of its bucket in this window (worth a log line). */
  record(record: TAuditRecord): boolean {
    const key = bucketKey(record);
    let bucket = this.buckets.get(key);
    const first = !bucket;
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) {
        this.dropped += 1;
        return false;
      }
      bucket = { record, count: 0, tuples: new Map(), truncated: false, sources: new Map(), sourcesTruncated: false };
      this.buckets.set(key, bucket);
    }
    bucket.count += 1;
    if (record.tuple) {
      const tupleKey = `${record.tuple.subject}\u0000${record.tuple.resource}\u0000${record.tuple.permission}`;
      const seen = bucket.tuples.get(tupleKey);
      if (seen) seen.count += 1;
      else if (bucket.tuples.size < MAX_TUPLES) bucket.tuples.set(tupleKey, { ...record.tuple, count: 1 });
      else bucket.truncated = true;
    }
    if (record.ip) {
      const seen = bucket.sources.get(record.ip);
      if (seen !== undefined) bucket.sources.set(record.ip, seen + 1);
      else if (bucket.sources.size < MAX_SOURCES) bucket.sources.set(record.ip, 1);
      else bucket.sourcesTruncated = true;
    }
    return first;
  }

  /** Writes what the window holds in one transaction; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buckets.size === 0) {
        this.windowStart = new Date();
        return;
      }
      const buckets = [...this.buckets.values()];
      const dropped = this.dropped;
      const window = { start: this.windowStart.toISOString(), end: new Date().toISOString() };
      this.buckets = new Map();
      this.dropped = 0;
      this.windowStart = new Date();
      try {
        await db.$transaction(async (tx) => {
          for (const bucket of buckets) {
            const { record } = bucket;
            await appendAuditEvent(tx, {
              actorType: record.clientId ? "SERVICE" : "ANONYMOUS",
              actorId: record.clientId,
              action: `${record.operation}.aggregate`,
              targetType: record.targetType === undefined ? "service_client" : record.targetType,
              targetId: record.clientId,
              outcome: record.outcome,
              reason: record.reason ?? null,
              details: {
                aggregated: true,
                window,
                count: bucket.count,
                tuples: [...bucket.tuples.values()],
                truncated: bucket.truncated,
                ...(bucket.sources.size > 0 || bucket.sourcesTruncated
                  ? {
                      sources: [...bucket.sources].map(([ip, count]) => ({ ip, count })),
                      sourcesTruncated: bucket.sourcesTruncated,
                    }
                  : {}),
                ...(record.sample ? { sample: record.sample.slice(0, 300) } : {}),
                ...(dropped > 0 ? { droppedBuckets: dropped } : {}),
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
