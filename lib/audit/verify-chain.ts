import { db, type Db } from "../db";
import { GENESIS_HASH, hashEvent, type TStoredAuditEvent } from "./canonical";

export type TChainProblem =
  /** The row's content no longer hashes to its stored hash: it was edited. */
  | "content_edited"
  /** The row's prevHash is not the hash of the row before it: rows between were deleted, rows were reordered, or the row before was rewritten with a recomputed hash. */
  | "link_broken"
  /** The first event of the whole chain does not start from the genesis hash: the beginning was deleted. */
  | "bad_genesis"
  /** An anchor (a head hash recorded earlier, e.g. in the application log) is no longer in the chain. */
  | "anchor_mismatch";

export type TChainBreak = {
  problem: TChainProblem;
  /** The first event where the chain does not hold. */
  seq: string;
  id: string;
  occurredAt: string;
  /** The event just before it in the table, if any. */
  previousSeq: string | null;
  message: string;
};

export type TChainVerification = {
  ok: boolean;
  /** Events hashed and linked. */
  checked: number;
  firstSeq: string | null;
  lastSeq: string | null;
  /** Hash of the last event checked: an anchor to keep elsewhere. */
  headHash: string | null;
  range: { from: string | null; to: string | null };
  break: TChainBreak | null;
  durationMs: number;
};

type TRow = TStoredAuditEvent;

export const VERIFY_BATCH_SIZE = 5_000;

const describe = (row: TRow) => `event #${row.seq} (${row.action}, ${row.id}, ${row.occurredAt.toISOString()})`;

/**
 * Checks the hash chain, whole or for a time range, in keyset batches of `seq` (constant
 * memory at any size): each event must hash to its stored hash, and its prevHash must be the
 * hash of the event before it (the genesis hash for the first event of the chain). Stops at
 * and names the first event where either fails.
 *
 * A range is widened to whole `seq` order: from the first event at or after `from` to the
 * last before `to`, and the event just before the range anchors its first link.
 *
 * What a chain cannot show by itself: the deletion of its newest events, or a rewrite of
 * every event from some point to the head. Anchors (head hashes kept outside the database,
 * e.g. written to the application log by the `audit.anchor` job) close that gap: pass them
 * as `anchors` and each must still be in the chain.
 */
export const verifyAuditChain = async (
  options: {
    from?: Date | null;
    to?: Date | null;
    anchors?: Array<{ seq: bigint; hash: string }>;
    client?: Db;
    batchSize?: number;
  } = {},
): Promise<TChainVerification> => {
  const started = Date.now();
  const client = options.client ?? db;
  const batchSize = options.batchSize ?? VERIFY_BATCH_SIZE;
  const range = { from: options.from?.toISOString() ?? null, to: options.to?.toISOString() ?? null };
  const result = (fields: Partial<TChainVerification>): TChainVerification => ({
    ok: true,
    checked: 0,
    firstSeq: null,
    lastSeq: null,
    headHash: null,
    range,
    break: null,
    ...fields,
    durationMs: Date.now() - started,
  });

  // The seq bounds of the range (indexed on occurredAt); the whole chain without one.
  const [bounds] = await client.$queryRaw<Array<{ low: bigint | null; high: bigint | null }>>`
    select
      (select min(seq) from "AuditEvent" where ${options.from ?? null}::timestamp is null or "occurredAt" >= ${options.from ?? null}::timestamp) as low,
      (select max(seq) from "AuditEvent" where ${options.to ?? null}::timestamp is null or "occurredAt" < ${options.to ?? null}::timestamp) as high`;
  if (!bounds?.low || !bounds.high || bounds.low > bounds.high) return result({});

  const [before] = await client.$queryRaw<Array<{ seq: bigint; hash: string }>>`
    select seq, hash from "AuditEvent" where seq < ${bounds.low} order by seq desc limit 1`;
  // Only the chain's true beginning may start from genesis.
  let previous: { seq: bigint | null; hash: string } = before
    ? { seq: before.seq, hash: before.hash }
    : { seq: null, hash: GENESIS_HASH };
  const anchors = new Map((options.anchors ?? []).map((anchor) => [anchor.seq, anchor.hash]));
  let checked = 0;
  let firstSeq: bigint | null = null;
  let cursor = bounds.low - 1n;

  for (;;) {
    const rows = await client.$queryRaw<TRow[]>`
      select seq, id, "occurredAt", "actorType"::text as "actorType", "actorId", action, "targetType", "targetId",
             outcome::text as outcome, reason, ip, "userAgent", "requestId", details, "prevHash", hash
      from "AuditEvent" where seq > ${cursor} and seq <= ${bounds.high} order by seq limit ${batchSize}`;
    for (const row of rows) {
      firstSeq ??= row.seq;
      const broken = (problem: TChainProblem, message: string) =>
        result({
          ok: false,
          checked,
          firstSeq: String(firstSeq),
          lastSeq: previous.seq === null ? null : String(previous.seq),
          headHash: previous.hash,
          break: {
            problem,
            seq: String(row.seq),
            id: row.id,
            occurredAt: row.occurredAt.toISOString(),
            previousSeq: previous.seq === null ? null : String(previous.seq),
            message,
          },
        });
      if (hashEvent(row) !== row.hash) {
        return broken("content_edited", `${describe(row)} was edited: its content no longer matches its hash.`);
      }
      if (row.prevHash !== previous.hash) {
        if (previous.seq === null) {
          return broken(
            "bad_genesis",
            `${describe(row)} is the first event but does not start the chain: earlier events were deleted.`,
          );
        }
        return broken(
          "link_broken",
          `${describe(row)} does not follow event #${previous.seq}: its prevHash is not that event's hash. ` +
            `Events between them were deleted, events were reordered, or event #${previous.seq} was rewritten and its hash recomputed.`,
        );
      }
      const anchored = anchors.get(row.seq);
      if (anchored !== undefined && anchored !== row.hash) {
        return broken(
          "anchor_mismatch",
          `${describe(row)} does not have the hash recorded for it earlier (${anchored}): the chain was rewritten up to here.`,
        );
      }
      anchors.delete(row.seq);
      previous = { seq: row.seq, hash: row.hash };
      checked += 1;
    }
    if (rows.length < batchSize) break;
    cursor = rows[rows.length - 1]!.seq;
  }

  // An anchor inside the range (or past its end, for an open-ended check) that was never met
  // names events that are gone.
  const low = bounds.low;
  const high = bounds.high;
  const missing = [...anchors.keys()].find((seq) => seq >= low && (options.to ? seq <= high : true));
  if (missing !== undefined) {
    return result({
      ok: false,
      checked,
      firstSeq: firstSeq === null ? null : String(firstSeq),
      lastSeq: previous.seq === null ? null : String(previous.seq),
      headHash: previous.hash,
      break: {
        problem: "anchor_mismatch",
        seq: String(missing),
        id: "",
        occurredAt: "",
        previousSeq: previous.seq === null ? null : String(previous.seq),
        message: `event #${missing} was anchored earlier and is no longer in the chain: events were deleted.`,
      },
    });
  }
  return result({
    ok: true,
    checked,
    firstSeq: firstSeq === null ? null : String(firstSeq),
    lastSeq: previous.seq === null ? null : String(previous.seq),
    headHash: previous.hash,
  });
};
