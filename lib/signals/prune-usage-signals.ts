import { currentTime } from "../clock";
import { db } from "../db";
import { BASELINE_RULES } from "./baseline";

/** Flagged reports stay this long for the Security area and the grants' timelines. */
export const FLAGGED_SIGNAL_KEEP_DAYS = 365;

/**
 * Housekeeping on the maintenance queue: unflagged reports older than the baseline window are
 * of no further use (the baseline reads only the last 30 days); flagged ones are kept a year.
 */
export const pruneUsageSignals = async (options: { now?: Date } = {}): Promise<{ deleted: number }> => {
  const now = (options.now ?? currentTime()).getTime();
  const baselineCutoff = new Date(now - BASELINE_RULES.days * 24 * 3_600_000);
  const flaggedCutoff = new Date(now - FLAGGED_SIGNAL_KEEP_DAYS * 24 * 3_600_000);
  const [unflagged, flagged] = await Promise.all([
    db.usageSignal.deleteMany({ where: { flagged: false, createdAt: { lt: baselineCutoff } } }),
    db.usageSignal.deleteMany({ where: { flagged: true, createdAt: { lt: flaggedCutoff } } }),
  ]);
  return { deleted: unflagged.count + flagged.count };
};
