import { getConfig } from "../../config";
import type { TAnchorPoint } from "../verify-chain";
import { anchorSigner, parseAnchorKey } from "./anchor-key";
import { checkAnchorLine } from "./anchor-record";
import { AnchorSinkError, describeSink, readAnchorLines, type TAnchorSink } from "./anchor-sink";

/** How many of the newest anchors a check reads back (about three days at one per 5 minutes). */
export const ANCHORS_READ = 1_000;

export type TLoadedAnchors = {
  /** Where they were read from. */
  source: string | null;
  /** Anchors whose signature holds, oldest first. */
  anchors: TAnchorPoint[];
  /** The newest of them. */
  latest: { seq: string; anchoredAt: string } | null;
  /** Lines that did not check out (forged, damaged, or signed by another key), and why, newest last. */
  rejected: Array<{ line: number; reason: string }>;
  /** Set when the anchors could not be read at all: the check cannot vouch for the tail. */
  error: string | null;
};

/** Reads the newest anchors back from the sink and keeps those whose signature holds. Never throws. */
export const loadAnchors = async (
  options: { key?: string | null; sink?: TAnchorSink | null; sinkToken?: string | null; limit?: number } = {},
): Promise<TLoadedAnchors> => {
  const config = getConfig().auditAnchor;
  const key = options.key === undefined ? config.key : options.key;
  const sink = options.sink === undefined ? config.sink : options.sink;
  const empty = { anchors: [], latest: null, rejected: [] };
  if (!key || !sink)
    return { source: null, ...empty, error: "no anchors: AUDIT_ANCHOR_KEY and AUDIT_ANCHOR_SINK are not both set" };
  const source = describeSink(sink);
  let lines: string[];
  try {
    lines = await readAnchorLines(sink, options.sinkToken ?? config.sinkToken, options.limit ?? ANCHORS_READ);
  } catch (error) {
    if (!(error instanceof AnchorSinkError)) throw error;
    return { source, ...empty, error: error.message };
  }
  const signer = anchorSigner(parseAnchorKey(key));
  const anchors: TAnchorPoint[] = [];
  const rejected: TLoadedAnchors["rejected"] = [];
  let latest: TLoadedAnchors["latest"] = null;
  lines.forEach((line, index) => {
    const checked = checkAnchorLine(signer, line);
    if (!checked.ok) {
      rejected.push({ line: index + 1, reason: checked.reason });
      return;
    }
    const { record } = checked;
    anchors.push({ seq: BigInt(record.seq), hash: record.hash, anchoredAt: record.anchoredAt });
    if (!latest || BigInt(record.seq) >= BigInt(latest.seq))
      latest = { seq: record.seq, anchoredAt: record.anchoredAt };
  });
  return { source, anchors, latest, rejected, error: null };
};
