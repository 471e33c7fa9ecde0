/**
 * A person's usual use of one metric on one resource, and whether a new report is far outside
 * it (ADR 0042). Robust statistics: the median and the median absolute deviation (MAD) do not
 * move much when a few reports are themselves outliers, unlike a mean and standard deviation.
 */

export const BASELINE_RULES = {
  /** Reports older than this are not part of the baseline (and are pruned). */
  days: 30,
  /** Fewer earlier reports than this: the baseline says nothing yet (ceilings still apply). */
  minSamples: 10,
  /** The most recent reports read per judgement; enough for a stable median, cheap to read. */
  maxSamples: 500,
  /** Flag above median + k × spread. */
  k: 6,
  /** MAD × 1.4826 estimates the standard deviation of normally distributed data. */
  madScale: 1.4826,
  /**
   * The spread is at least this share of the median: a metric that has always been exactly
   * the same (MAD 0) would otherwise flag the smallest change.
   */
  minSpreadRatio: 0.1,
} as const;

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** The median absolute deviation from the median. */
export const medianAbsoluteDeviation = (values: readonly number[], center = median(values)): number =>
  median(values.map((value) => Math.abs(value - center)));

export type TBaseline = {
  samples: number;
  median: number;
  mad: number;
  /** median + k × spread: a report above it is an outlier. */
  threshold: number;
};

/** The baseline of earlier rates per minute; null while there are too few of them. */
export const computeBaseline = (history: readonly number[]): TBaseline | null => {
  if (history.length < BASELINE_RULES.minSamples) return null;
  const center = median(history);
  const mad = medianAbsoluteDeviation(history, center);
  const spread = Math.max(mad * BASELINE_RULES.madScale, Math.abs(center) * BASELINE_RULES.minSpreadRatio);
  return { samples: history.length, median: center, mad, threshold: center + BASELINE_RULES.k * spread };
};

export type TMetricJudgement = { flagged: boolean; reason: string | null; baseline: TBaseline | null };

const round = (value: number): number => Math.round(value * 100) / 100;

/**
 * Judges one rate per minute: above the policy's ceiling flags at once, whatever the history;
 * above the baseline's threshold flags once there is a baseline. The reason is a sentence a
 * grantee and a reviewer can read.
 */
export const judgeMetric = (options: {
  metric: string;
  perMinute: number;
  history: readonly number[];
  ceiling: number | null;
}): TMetricJudgement => {
  const { metric, ceiling } = options;
  const rate = options.perMinute;
  const baseline = computeBaseline(options.history);
  if (ceiling !== null && rate > ceiling) {
    return {
      flagged: true,
      reason: `${metric} at ${round(rate)}/min is above the policy's ceiling of ${round(ceiling)}/min.`,
      baseline,
    };
  }
  if (baseline && rate > baseline.threshold) {
    return {
      flagged: true,
      reason: `${metric} at ${round(rate)}/min is far above this person's usual ${round(baseline.median)}/min (threshold ${round(baseline.threshold)}/min over ${baseline.samples} reports in ${BASELINE_RULES.days} days).`,
      baseline,
    };
  }
  return { flagged: false, reason: null, baseline };
};
