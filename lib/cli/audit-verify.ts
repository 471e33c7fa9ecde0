/**
 * `npm run audit:verify [-- --from ISO] [--to ISO] [--anchor SEQ:HASH ...] [--json]`: checks
 * the audit hash chain (whole, or events in [from, to)) and names the first event where it
 * breaks. Exit code 0 when intact, 1 when broken, 2 on bad arguments or configuration.
 */
import { parseArgs } from "node:util";
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
  loadConfigOrExplain();
  const { verifyAuditChain } = await import("../audit/verify-chain");
  const { disconnectDb } = await import("../db");
  try {
    const result = await verifyAuditChain({ from, to, anchors });
    if (values.json) console.log(JSON.stringify(result));
    else if (result.ok) {
      const span = from || to ? ` in [${from?.toISOString() ?? "start"}, ${to?.toISOString() ?? "now"})` : "";
      console.log(
        `audit chain intact: ${result.checked} events${span}, #${result.firstSeq ?? "-"} to #${result.lastSeq ?? "-"} (${result.durationMs} ms)`,
      );
      if (result.lastSeq) console.log(`head: ${result.lastSeq}:${result.headHash}`);
    } else {
      console.log(
        `audit chain BROKEN at event #${result.break?.seq} (${result.break?.problem}) after ${result.checked} good events`,
      );
      console.log(result.break?.message);
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
