/**
 * What the benches conclude from their numbers, as pure functions with tests (bench/verdicts.test.ts),
 * so a verdict cannot pass over failed requests, a duplicate under a new id, or a slow cold run
 * (issue 20; ADR 0030).
 */
import { stats } from "./support";

export type TLoadCounts = { rps: number; p99: number; non2xx: number; errors: number; timeouts: number };

/**
 * The services bench's verdict: throughput counts every answer, so a run with any non-2xx answer,
 * error or timeout (on the API or on the bare ceiling it is compared with) gives no verdict.
 */
export const servicesVerdict = (api: TLoadCounts, bare: TLoadCounts): { verdict: string; failed: number } => {
  const failed = api.non2xx + api.errors + api.timeouts + bare.non2xx + bare.errors + bare.timeouts;
  const counts = `API non-2xx ${api.non2xx}, errors ${api.errors}, timeouts ${api.timeouts}; bare non-2xx ${bare.non2xx}, errors ${bare.errors}, timeouts ${bare.timeouts}`;
  if (failed > 0) return { verdict: `NO VERDICT: failed requests count as throughput (${counts})`, failed };
  const met = api.rps / bare.rps >= 0.4 && api.p99 < 10;
  return { verdict: `${met ? "MET" : "NOT MET"} (${counts})`, failed };
};

/**
 * Duplicates among received `grant.expired` webhooks: the same webhook-id accepted again, and a
 * second delivery for the same grant under any id (a second event, not a retry of the first).
 */
export const countDuplicates = (
  received: Iterable<{ webhookId: string; grantId: string; accepted: number }>,
): { sameId: number; sameGrant: number } => {
  let sameId = 0;
  const perGrant = new Map<string, number>();
  for (const entry of received) {
    sameId += entry.accepted - 1;
    perGrant.set(entry.grantId, (perGrant.get(entry.grantId) ?? 0) + entry.accepted);
  }
  const sameGrant = [...perGrant.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
  return { sameId, sameGrant };
};

export type TTimings = { cold: number; median: number; p95: number };

/** A query's cold first run, and the median and p95 of the warm runs after it. */
export const summarizeTimings = (ms: readonly number[]): TTimings => {
  const [cold = Number.NaN, ...warm] = ms;
  const warmStats = stats(warm.length > 0 ? warm : [cold]);
  return { cold, median: warmStats?.p50 ?? Number.NaN, p95: warmStats?.p95 ?? Number.NaN };
};

/** Filters whose cold run or warm p95 is over the budget, slowest first. */
export const slowFilters = (
  timings: ReadonlyArray<{ label: string } & TTimings>,
  budgetMs: number,
): Array<{ label: string } & TTimings> =>
  timings
    .filter((timing) => timing.cold > budgetMs || timing.p95 > budgetMs)
    .sort((a, b) => Math.max(b.cold, b.p95) - Math.max(a.cold, a.p95));
