import { timingSafeEqual, createHash } from "node:crypto";
import { Queue } from "bullmq";
import { getConfig } from "../config";
import { db } from "../db";
import { queueConnection, queuePrefix } from "../queue/connection";
import { QUEUE_NAMES, type TQueueName } from "../queue/definitions";
import { withTimeout } from "../timeout";
import { METRICS, readRecordedSeries, seriesName } from "./registry";

type TGauge = { name: string; help: string; samples: Array<{ labels?: Record<string, string>; value: number }> };

// Scrapes must not hang on a dead dependency: each source gets this long, then counts as down.
const SOURCE_TIMEOUT_MS = 3_000;
const withSourceTimeout = <T>(work: Promise<T>): Promise<T> => withTimeout(work, SOURCE_TIMEOUT_MS, "timed out");

const queues = new Map<TQueueName, Queue>();
const queueFor = (name: TQueueName): Queue => {
  let queue = queues.get(name);
  if (!queue) {
    queue = new Queue(name, { connection: queueConnection(), prefix: queuePrefix() });
    queue.on("error", () => undefined);
    queues.set(name, queue);
  }
  return queue;
};

/** Closes the Queues opened for scrapes (tests, shutdown). */
export const closeMetricsQueues = async (): Promise<void> => {
  const open = [...queues.values()];
  queues.clear();
  await Promise.allSettled(open.map((queue) => queue.close()));
};

const databaseGauges = async (now: Date): Promise<TGauge[]> => {
  const at = now.toISOString();
  const [active, pending, expiryLag, overdue, webhooks, outbox, head] = await Promise.all([
    db.$queryRaw<Array<{ resource: string; count: bigint }>>`
      select res.key as resource, count(*) as count from "Grant" g join "Resource" res on res.id = g."resourceId"
      where g."startsAt" <= ${at}::timestamp and g."expiresAt" > ${at}::timestamp and (g."revokedAt" is null or g."revokedAt" > ${at}::timestamp)
      group by res.key`,
    db.accessRequest.count({ where: { status: "PENDING" } }),
    // How late the worker ended grants in the last hour (end side effects vs expiresAt).
    db.$queryRaw<Array<{ p50: number | null; p99: number | null; max: number | null; count: bigint }>>`
      select percentile_cont(0.5) within group (order by lag)::float8 as p50, percentile_cont(0.99) within group (order by lag)::float8 as p99,
             max(lag)::float8 as max, count(*) as count
      from (select extract(epoch from e."createdAt" - e.at) as lag from "GrantLifecycleEvent" e
            where e.kind = 'EXPIRED' and e.at > ${at}::timestamp - interval '1 hour') lags`,
    // Ended more than a minute ago and still without their end side effects.
    db.$queryRaw<Array<{ count: bigint }>>`
      select count(*) as count from "Grant" g
      where g."expiresAt" < ${at}::timestamp - interval '1 minute' and g."expiresAt" > ${at}::timestamp - interval '7 days' and g."revokedAt" is null
        and not exists (select 1 from "GrantLifecycleEvent" e where e."grantId" = g.id and e.kind = 'EXPIRED' and e.at = g."expiresAt")`,
    db.webhookDelivery.count({ where: { deliveredAt: null, attempts: { gt: 0 } } }),
    db.$queryRaw<Array<{ count: bigint; oldest: number | null }>>`
      select count(*) as count, extract(epoch from ${at}::timestamp - min("createdAt"))::float8 as oldest from "OutboxJob" where "dispatchedAt" is null`,
    db.$queryRaw<Array<{ seq: bigint | null }>>`select max(seq) as seq from "AuditEvent"`,
  ]);
  const lag = expiryLag[0];
  return [
    {
      name: "jit_grants_active",
      help: "Grants in force now, by resource.",
      samples: active.map((row) => ({ labels: { resource: row.resource }, value: Number(row.count) })),
    },
    { name: "jit_requests_pending", help: "Requests waiting for a decision.", samples: [{ value: pending }] },
    {
      name: "jit_grant_expiry_lag_seconds",
      help: "Delay between a grant's expiresAt and its end side effects, over grants that ended in the last hour.",
      samples:
        lag && Number(lag.count) > 0
          ? [
              { labels: { quantile: "0.5" }, value: lag.p50 ?? 0 },
              { labels: { quantile: "0.99" }, value: lag.p99 ?? 0 },
              { labels: { quantile: "1" }, value: lag.max ?? 0 },
            ]
          : [],
    },
    {
      name: "jit_grants_expiry_overdue",
      help: "Grants past expiresAt by more than a minute whose end side effects have not run.",
      samples: [{ value: Number(overdue[0]?.count ?? 0) }],
    },
    {
      name: "jit_webhook_deliveries_failing",
      help: "Webhook deliveries tried at least once and not yet delivered.",
      samples: [{ value: webhooks }],
    },
    {
      name: "jit_outbox_pending",
      help: "Outbox jobs not yet relayed to the queue.",
      samples: [{ value: Number(outbox[0]?.count ?? 0) }],
    },
    {
      name: "jit_outbox_oldest_seconds",
      help: "Age of the oldest outbox job not yet relayed.",
      samples: [{ value: outbox[0]?.oldest ?? 0 }],
    },
    {
      name: "jit_audit_chain_head_seq",
      help: "Sequence number of the newest audit event.",
      samples: [{ value: Number(head[0]?.seq ?? 0) }],
    },
  ];
};

const queueGauges = async (now: Date): Promise<TGauge[]> => {
  const depth: TGauge = { name: "jit_queue_jobs", help: "BullMQ jobs by queue and state.", samples: [] };
  const lag: TGauge = {
    name: "jit_queue_lag_seconds",
    help: "How long the oldest runnable (waiting) job of each queue has waited.",
    samples: [],
  };
  for (const name of QUEUE_NAMES) {
    const queue = queueFor(name);
    const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized");
    for (const [state, value] of Object.entries(counts)) depth.samples.push({ labels: { queue: name, state }, value });
    // Ascending: the oldest waiting job first.
    const [oldest] = await queue.getJobs(["wait"], 0, 0, true);
    const since = oldest ? oldest.timestamp + (oldest.delay ?? 0) : null;
    lag.samples.push({ labels: { queue: name }, value: since ? Math.max(0, (now.getTime() - since) / 1000) : 0 });
  }
  return [depth, lag];
};

const formatNumber = (value: number): string =>
  Number.isFinite(value) ? String(value) : value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";

const renderGauge = (gauge: TGauge): string =>
  [
    `# HELP ${gauge.name} ${gauge.help}`,
    `# TYPE ${gauge.name} gauge`,
    ...gauge.samples.map((sample) => `${seriesName(gauge.name, sample.labels)} ${formatNumber(sample.value)}`),
  ].join("\n");

const familyOf = (series: string): string => series.replace(/\{.*$/, "").replace(/_(bucket|sum|count)$/, "");

/**
 * The Prometheus text exposition: counters and histograms recorded by every process (from
 * Redis), plus gauges read now from PostgreSQL and BullMQ. A source that fails or is slow
 * is reported as `jit_metrics_source_up{source="..."} 0` instead of failing the scrape.
 */
export const collectMetrics = async (options: { now?: Date } = {}): Promise<string> => {
  const now = options.now ?? new Date();
  const [recorded, database, queue] = await Promise.allSettled([
    withSourceTimeout(readRecordedSeries()),
    withSourceTimeout(databaseGauges(now)),
    withSourceTimeout(queueGauges(now)),
  ]);
  const blocks: string[] = [];
  if (recorded.status === "fulfilled") {
    const byFamily = new Map<string, string[]>();
    for (const [series, value] of [...recorded.value].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const family = familyOf(series);
      if (!Object.hasOwn(METRICS, family)) continue;
      byFamily.set(family, [...(byFamily.get(family) ?? []), `${series} ${formatNumber(value)}`]);
    }
    for (const [family, definition] of Object.entries(METRICS)) {
      blocks.push(
        [
          `# HELP ${family} ${definition.help}`,
          `# TYPE ${family} ${definition.type}`,
          ...(byFamily.get(family) ?? []),
        ].join("\n"),
      );
    }
  }
  if (database.status === "fulfilled") blocks.push(...database.value.map(renderGauge));
  if (queue.status === "fulfilled") blocks.push(...queue.value.map(renderGauge));
  blocks.push(
    renderGauge({
      name: "jit_metrics_source_up",
      help: "Whether each source of this scrape answered (1) or not (0).",
      samples: [
        { labels: { source: "redis_counters" }, value: recorded.status === "fulfilled" ? 1 : 0 },
        { labels: { source: "database" }, value: database.status === "fulfilled" ? 1 : 0 },
        { labels: { source: "queues" }, value: queue.status === "fulfilled" ? 1 : 0 },
      ],
    }),
  );
  return `${blocks.join("\n")}\n`;
};

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/**
 * Checks `Authorization: Bearer <METRICS_TOKEN>`. Both sides are hashed first, so the
 * comparison takes the same time whatever the length or content of the guess.
 */
export const metricsAccess = (
  authorization: string | null,
  token: string | null = getConfig().metricsToken,
): "disabled" | "denied" | "allowed" => {
  if (!token) return "disabled";
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  const offered = match?.[1] ?? "";
  return timingSafeEqual(digest(offered), digest(token)) && offered.length > 0 ? "allowed" : "denied";
};
