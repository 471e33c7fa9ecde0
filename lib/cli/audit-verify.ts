/**
 * `npm run audit:verify [-- --from ISO] [--to ISO] [--anchor SEQ:HASH ...] [--json]`: checks
 * the audit hash chain (whole, or events in [from, to)) against the newest signed anchors read
 * back from AUDIT_ANCHOR_SINK (ADR 0028), and names every break: edited events, broken links,
 * a rewritten range, deleted events, a cut tail. Exit code 0 when intact, 1 when broken or
 * when the anchors cannot be read, 2 on bad arguments or configuration.
 */
import { parseArgs } from "node:util";
import { auditAnchoringProblems, ConfigError } from "../config";
import { loadConfigOrExplain, PreflightError } from "./preflight";

const usage = "usage: npm run audit:verify -- [--from ISO-8601] [--to ISO-8601] [--anchor SEQ:HASH]... [--json]";

const parseDate = (name: string, value: string | undefined): Date | null => {
  if (value === undefined) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new PreflightError(`--${name}: not a date: ${value}\n${usage}`);
  return date;
};

const parseAnchor = (value: string): { seq: bigint; hash: string } => {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(value);
  if (!match) throw new PreflightError(`--anchor: expected SEQ:HASH (the hash in hex), got ${value}\n${usage}`);
  return { seq: BigInt(match[1]!), hash: match[2]! };
};

const main = async (): Promise<number> => {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        from: { type: "string" },
        to: { type: "string" },
        anchor: { type: "string", multiple: true },
        json: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (error) {
    throw new PreflightError(`${(error as Error).message}\n${usage}`);
  }
  const from = parseDate("from", values.from);
  const to = parseDate("to", values.to);
  const anchors = (values.anchor ?? []).map(parseAnchor);
  const config = loadConfigOrExplain();
  const anchoring = auditAnchoringProblems(config);
  if (anchoring.length > 0) throw new PreflightError(new ConfigError(anchoring).message);
  const { verifyAgainstAnchors } = await import("../audit/anchors/verify-against-anchors");
  const { disconnectDb } = await import("../db");
  try {
    const result = await verifyAgainstAnchors({ from, to, extraAnchors: anchors });
    const { anchoring: source } = result;
    if (values.json) console.log(JSON.stringify(result));
    else {
      const span = from || to ? ` in [${from?.toISOString() ?? "start"}, ${to?.toISOString() ?? "now"})` : "";
      console.log(
        source.error
          ? `anchors: UNAVAILABLE (${source.error})`
          : `anchors: ${source.used} from ${source.source}` +
              (source.latest ? `, newest #${source.latest.seq} (${source.latest.anchoredAt})` : ", none yet") +
              `; ${result.anchors.matched} of ${result.anchors.inRange} in range matched` +
              (source.rejected.length > 0
                ? `; ${source.rejected.length} line(s) REFUSED (forged, damaged or another key)`
                : ""),
      );
      if (result.prunedThroughSeq) console.log(`retention: events up to #${result.prunedThroughSeq} were pruned`);
      if (result.breakCount === 0) {
        console.log(
          `audit chain intact: ${result.checked} events${span}, #${result.firstSeq ?? "-"} to #${result.lastSeq ?? "-"} (${result.durationMs} ms)`,
        );
        if (result.lastSeq) console.log(`head: ${result.lastSeq}:${result.headHash}`);
      } else {
        console.log(`audit chain BROKEN: ${result.breakCount} break(s) in ${result.checked} events${span}`);
        for (const item of result.breaks) console.log(`- #${item.seq} ${item.problem}: ${item.message}`);
        if (result.breakCount > result.breaks.length)
          console.log(`  (and ${result.breakCount - result.breaks.length} more)`);
      }
    }
    return result.ok ? 0 : 1;
  } finally {
    await disconnectDb();
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof PreflightError ? error.message : error);
    process.exit(2);
  },
);
