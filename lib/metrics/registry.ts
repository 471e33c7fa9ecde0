import { createIdleSafeRedis, redisKey } from "../redis";

/**
 * Counters and histograms any process can record (web, worker, services API): buffered in
 * memory, added to one Redis hash every second (HINCRBYFLOAT, so replicas sum up), and read
 * back by /api/metrics together with gauges computed from PostgreSQL and BullMQ at scrape
 * time. Redis is losable: after a flush of Redis the counters restart from zero, which
 * Prometheus's rate() treats as an ordinary counter reset.
 *
 * The list of metrics is closed; a name not declared here is a type error.
 */
export const METRICS = {
  jit_audit_events_total: { type: "counter", help: "Committed audit events by action and outcome." },
  jit_sign_ins_total: { type: "counter", help: "Sign-in attempts by outcome (allowed, denied, error)." },
  jit_requests_total: { type: "counter", help: "Access requests submitted." },
  jit_decisions_total: { type: "counter", help: "Approver decisions by decision (approve, deny)." },
  jit_authz_denials_total: { type: "counter", help: "Refused authorization decisions." },
  jit_webhook_delivery_failures_total: { type: "counter", help: "Webhook delivery attempts that did not get a 2xx." },
  jit_time_to_decision_seconds: {
    type: "histogram",
    help: "From submission to the final decision (approved or denied) of a request.",
    buckets: [30, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400],
  },
  jit_check_duration_seconds: {
    type: "histogram",
    help: "Latency of services API access checks (recorded by the services API server).",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  },
  jit_checks_total: { type: "counter", help: "Services API access checks by result." },
  jit_unauthenticated_refusals_total: {
    type: "counter",
    help: "Refusals of unauthenticated traffic (web: next-auth errors such as a garbage session cookie; token: the token endpoint before a client proved its secret), by source and reason. Audited as one aggregate event per window.",
  },
  jit_rate_limit_refusals_total: {
    type: "counter",
    help: "Attempts refused by the rate limits on sign-in, step-up and request creation, by flow and scope (user, account, ip).",
  },
} as const satisfies Record<string, { type: "counter" | "histogram"; help: string; buckets?: readonly number[] }>;

export type TMetricName = keyof typeof METRICS;
type TCounterName = { [N in TMetricName]: (typeof METRICS)[N]["type"] extends "counter" ? N : never }[TMetricName];
type THistogramName = { [N in TMetricName]: (typeof METRICS)[N]["type"] extends "histogram" ? N : never }[TMetricName];
export type TLabels = Record<string, string>;

export const FLUSH_INTERVAL_MS = 1_000;
export const metricsKey = (): string => redisKey("metrics", "v1");

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** `name{a="x",b="y"}` with labels sorted: the Redis field and the exposition line in one. */
export const seriesName = (name: string, labels: TLabels = {}): string => {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
};

const buffer = new Map<string, number>();
let timer: NodeJS.Timeout | undefined;

/** The flusher's own connection: recording a metric must never keep a process alive. */
const connection = createIdleSafeRedis({ maxRetriesPerRequest: 2, connectTimeout: 2_000 });

const add = (field: string, by: number): void => {
  buffer.set(field, (buffer.get(field) ?? 0) + by);
  // Started on first use and unref'd: a short CLI exits without waiting for it.
  timer ??= setInterval(() => void flushMetrics(), FLUSH_INTERVAL_MS).unref();
};

export const incrementCounter = (name: TCounterName, labels: TLabels = {}, by = 1): void => {
  if (!(by >= 0)) return;
  add(seriesName(name, labels), by);
};

// A histogram's series names per label set, built once: observations can be on a hot path
// (the services API records one per check).
const histogramSeries = new Map<
  string,
  { buckets: Array<[number, string]>; inf: string; sum: string; count: string }
>();
const seriesOfHistogram = (name: THistogramName, labels: TLabels) => {
  const key = `${name}\u0000${JSON.stringify(labels)}`;
  let series = histogramSeries.get(key);
  if (!series) {
    series = {
      buckets: METRICS[name].buckets.map((le): [number, string] => [
        le,
        seriesName(`${name}_bucket`, { ...labels, le: String(le) }),
      ]),
      inf: seriesName(`${name}_bucket`, { ...labels, le: "+Inf" }),
      sum: seriesName(`${name}_sum`, labels),
      count: seriesName(`${name}_count`, labels),
    };
    histogramSeries.set(key, series);
  }
  return series;
};

export const observeHistogram = (name: THistogramName, labels: TLabels, value: number): void => {
  if (!Number.isFinite(value)) return;
  const series = seriesOfHistogram(name, labels);
  // Every bucket is written (0 where the value does not fall), so each exists from the first observation.
  for (const [le, field] of series.buckets) add(field, value <= le ? 1 : 0);
  add(series.inf, 1);
  add(series.sum, value);
  add(series.count, 1);
};

/**
 * Adds the buffer to Redis in one MULTI. When Redis does not answer the amounts go back
 * into the buffer and ride on the next flush, so a blip loses nothing.
 */
export const flushMetrics = async (): Promise<void> => {
  if (buffer.size === 0) return;
  const batch = [...buffer];
  buffer.clear();
  try {
    await connection.use((client) => {
      const multi = client.multi();
      for (const [field, by] of batch) multi.hincrbyfloat(metricsKey(), field, by);
      return multi.exec();
    });
  } catch {
    for (const [field, by] of batch) buffer.set(field, (buffer.get(field) ?? 0) + by);
  }
};

/** Stops the flush timer after a last flush (worker and server shutdown). */
export const stopMetrics = async (): Promise<void> => {
  if (timer) clearInterval(timer);
  timer = undefined;
  await flushMetrics();
  connection.disconnect();
};

/** Every counter and histogram series stored in Redis, as `series -> value`. */
export const readRecordedSeries = async (): Promise<Map<string, number>> => {
  const raw = await connection.use((client) => client.hgetall(metricsKey()));
  return new Map(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
};
