import { db, type Db } from "../db";
import { GENESIS_HASH, hashEvent, type TStoredAuditEvent } from "./canonical";

export type TChainProblem =
  /** The row's content no longer hashes to its stored hash: it was edited. */
  | "content_edited"
  /** The row's prevHash is not the hash of the row before it: rows between were deleted, rows were reordered, or the row before was rewritten with a recomputed hash. */
  | "link_broken"
  /** The first event of the whole chain does not start from the genesis hash (nor from a recorded retention cut): the beginning was deleted. */
  | "bad_genesis"
  /** An anchored event's hash differs from the hash signed for it: the events since the last matching anchor were rewritten (hashes recomputed). */
  | "anchor_mismatch"
  /** An anchored event is gone from the middle of the chain: events were deleted (the links may have been recomputed). */
  | "events_deleted"
  /** An anchored event lies past the chain's current end: the tail was cut. */
  | "tail_cut";

export type TChainBreak = {
  problem: TChainProblem;
  /** The event where the chain does not hold (for a cut tail or deleted events: the anchored one that is gone). */
  seq: string;
  id: string;
  occurredAt: string;
  /** The event just before it in the table, if any. */
  previousSeq: string | null;
  /** The events the problem covers, by seq, when it is a range (rewritten, deleted or cut). */
  fromSeq: string | null;
  toSeq: string | null;
  message: string;
};

/** A head recorded outside the database (a signed anchor, lib/audit/anchors.ts, or `--anchor SEQ:HASH`). */
export type TAnchorPoint = { seq: bigint; hash: string; anchoredAt?: string };

export type TChainVerification = {
  /** True only when no break was found. */
  ok: boolean;
  /** Events hashed and linked. */
  checked: number;
  firstSeq: string | null;
  lastSeq: string | null;
  /** Hash of the last event checked: an anchor to keep elsewhere. */
  headHash: string | null;
  range: { from: string | null; to: string | null };
  /** The first break, or null. */
  break: TChainBreak | null;
  /** Every break in the range, in seq order (the first MAX_REPORTED_BREAKS of them): tampering after a first break does not hide. */
  breaks: TChainBreak[];
  /** How many breaks there are in all, listed or not. */
  breakCount: number;
  /** The chain's beginning was deleted by the retention procedure up to this event (AuditRetention), or null. */
  prunedThroughSeq: string | null;
  /** Anchors that fell in the checked range, and how many of them matched. */
  anchors: { inRange: number; matched: number; latestSeq: string | null };
  durationMs: number;
};

type TRow = TStoredAuditEvent;

export const VERIFY_BATCH_SIZE = 5_000;
export const MAX_REPORTED_BREAKS = 1_000;

const describe = (row: TRow) => `event #${row.seq} (${row.action}, ${row.id}, ${row.occurredAt.toISOString()})`;
const signedAt = (anchor: TAnchorPoint) => (anchor.anchoredAt ? ` (anchored ${anchor.anchoredAt})` : "");

/**
 * Checks the hash chain, whole or for a time range, in keyset batches of `seq` (constant
 * memory at any size): each event must hash to its stored hash, and its prevHash must be the
 * hash of the event before it (the genesis hash for the first event of the chain, or the last
 * hash a recorded retention cut removed). Every break is reported, not only the first: a
 * false or real break early on must not hide tampering after it.
 *
 * A range is widened to whole `seq` order: from the first event at or after `from` to the
 * last before `to`, and the event just before the range anchors its first link.
 *
 * What a chain cannot show by itself: the deletion of its newest events, or a rewrite of
 * every event from some point to the head. Anchors (heads signed and kept outside the
 * database by the `audit.anchor` job, ADR 0028) close that gap: every anchor in the range must
 * still be in the chain with the same hash. A mismatch names the rewritten range (from the
 * last anchor that still matches), a gone anchor the deleted events, and (for a check open
 * to the end) an anchor past the current head the cut tail.
 */
export const verifyAuditChain = async (
  options: {
    from?: Date | null;
    to?: Date | null;
    anchors?: TAnchorPoint[];
    client?: Db;
    batchSize?: number;
  } = {},
): Promise<TChainVerification> => {
  const started = Date.now();
  const client = options.client ?? db;
  const batchSize = options.batchSize ?? VERIFY_BATCH_SIZE;
  const range = { from: options.from?.toISOString() ?? null, to: options.to?.toISOString() ?? null };
  const breaks: TChainBreak[] = [];
  let breakCount = 0;
  const report = (problem: Omit<TChainBreak, "fromSeq" | "toSeq"> & Partial<TChainBreak>) => {
    breakCount += 1;
    if (breaks.length < MAX_REPORTED_BREAKS) breaks.push({ fromSeq: null, toSeq: null, ...problem });
  };
  // Anchors in seq order, one per seq (two signed anchors of one seq with different hashes are
  // both checked: one of them will not match).
  const anchors = [...(options.anchors ?? [])].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  const anchorStats = { inRange: 0, matched: 0, latestSeq: null as string | null };

  const [bounds] = await client.$queryRaw<Array<{ low: bigint | null; high: bigint | null }>>`
    select
      (select min(seq) from "AuditEvent" where ${options.from ?? null}::timestamp is null or "occurredAt" >= ${options.from ?? null}::timestamp) as low,
      (select max(seq) from "AuditEvent" where ${options.to ?? null}::timestamp is null or "occurredAt" < ${options.to ?? null}::timestamp) as high`;
  const [before] = bounds?.low
    ? await client.$queryRaw<Array<{ seq: bigint; hash: string }>>`
        select seq, hash from "AuditEvent" where seq < ${bounds.low} order by seq desc limit 1`
    : [];

  // Only the chain's true beginning may start from genesis (or from a retention cut).
  let previous: { seq: bigint | null; hash: string } = before
    ? { seq: before.seq, hash: before.hash }
    : { seq: null, hash: GENESIS_HASH };
  let prunedThroughSeq: bigint | null = null;
  let checked = 0;
  let firstSeq: bigint | null = null;
  // Anchors below the range are not its business; those below a retention cut are gone by design.
  let nextAnchor = 0;
  const skipAnchorsBelow = (seq: bigint) => {
    while (nextAnchor < anchors.length && anchors[nextAnchor]!.seq < seq) nextAnchor += 1;
  };
  skipAnchorsBelow(before ? before.seq + 1n : (bounds?.low ?? 0n));
  // The last anchored event that still matched, for naming a rewritten range.
  let lastMatchedAnchor: bigint | null = null;

  const low = bounds?.low ?? null;
  const high = bounds?.high ?? null;
  if (low !== null && high !== null && low <= high) {
    let cursor = low - 1n;
    for (;;) {
      const rows = await client.$queryRaw<TRow[]>`
        select seq, id, "occurredAt", "actorType"::text as "actorType", "actorId", action, "targetType", "targetId",
               outcome::text as outcome, reason, ip, "userAgent", "requestId", details, "prevHash", hash
        from "AuditEvent" where seq > ${cursor} and seq <= ${high} order by seq limit ${batchSize}`;
      for (const row of rows) {
        firstSeq ??= row.seq;
        const at = (problem: TChainProblem, message: string, extra: Partial<TChainBreak> = {}) =>
          report({
            problem,
            seq: String(row.seq),
            id: row.id,
            occurredAt: row.occurredAt.toISOString(),
            previousSeq: previous.seq === null ? null : String(previous.seq),
            message,
            ...extra,
          });

        // Anchored events that should stand between the previous row and this one are gone.
        const gone: TAnchorPoint[] = [];
        while (nextAnchor < anchors.length && anchors[nextAnchor]!.seq < row.seq) gone.push(anchors[nextAnchor++]!);
        if (gone.length > 0) {
          anchorStats.inRange += gone.length;
          const last = gone[gone.length - 1]!;
          const fromSeq = previous.seq === null ? 1n : previous.seq + 1n;
          report({
            problem: "events_deleted",
            seq: String(last.seq),
            id: "",
            occurredAt: "",
            previousSeq: previous.seq === null ? null : String(previous.seq),
            fromSeq: String(fromSeq),
            toSeq: String(row.seq - 1n),
            message:
              `events #${fromSeq} to #${row.seq - 1n} are gone: event #${last.seq} was anchored${signedAt(last)} ` +
              `and is no longer in the chain, which goes on at ${describe(row)}.`,
          });
        }

        if (hashEvent(row) !== row.hash) {
          at("content_edited", `${describe(row)} was edited: its content no longer matches its hash.`);
        }
        if (row.prevHash !== previous.hash) {
          if (previous.seq === null) {
            const [cut] = await client.$queryRaw<Array<{ throughSeq: bigint }>>`
              select "throughSeq" from "AuditRetention"
              where "lastHash" = ${row.prevHash} and "throughSeq" < ${row.seq}
              order by "throughSeq" desc limit 1`;
            if (cut) prunedThroughSeq = cut.throughSeq;
            else
              at(
                "bad_genesis",
                `${describe(row)} is the first event but does not start the chain, and no retention cut ends where it starts: earlier events were deleted.`,
              );
          } else {
            at(
              "link_broken",
              `${describe(row)} does not follow event #${previous.seq}: its prevHash is not that event's hash. ` +
                `Events between them were deleted, events were reordered, or event #${previous.seq} was rewritten and its hash recomputed.`,
            );
          }
        }
        while (nextAnchor < anchors.length && anchors[nextAnchor]!.seq === row.seq) {
          const anchor = anchors[nextAnchor++]!;
          anchorStats.inRange += 1;
          anchorStats.latestSeq = String(anchor.seq);
          if (anchor.hash === row.hash) {
            anchorStats.matched += 1;
            lastMatchedAnchor = row.seq;
            continue;
          }
          const fromSeq = lastMatchedAnchor === null ? (firstSeq ?? row.seq) : lastMatchedAnchor + 1n;
          at(
            "anchor_mismatch",
            `events #${fromSeq} to #${row.seq} were rewritten: ${describe(row)} does not have the hash signed for it` +
              `${signedAt(anchor)} (${anchor.hash})` +
              (lastMatchedAnchor === null ? "." : `, while event #${lastMatchedAnchor} still matches its anchor.`),
            { fromSeq: String(fromSeq), toSeq: String(row.seq) },
          );
        }
        previous = { seq: row.seq, hash: row.hash };
        checked += 1;
      }
      if (rows.length < batchSize) break;
      cursor = rows[rows.length - 1]!.seq;
    }
  }

  // A check open to the end: an anchored event past the current head means the tail was cut.
  if (!options.to && nextAnchor < anchors.length) {
    const beyond = anchors.slice(nextAnchor);
    const last = beyond[beyond.length - 1]!;
    anchorStats.inRange += beyond.length;
    anchorStats.latestSeq = String(last.seq);
    const fromSeq = previous.seq === null ? (low ?? 1n) : previous.seq + 1n;
    report({
      problem: "tail_cut",
      seq: String(last.seq),
      id: "",
      occurredAt: "",
      previousSeq: previous.seq === null ? null : String(previous.seq),
      fromSeq: String(fromSeq),
      toSeq: String(last.seq),
      message:
        `the tail was cut: the chain ends at ${previous.seq === null ? "nothing" : `event #${previous.seq}`}, ` +
        `but event #${last.seq} was anchored${signedAt(last)}: events #${fromSeq} to #${last.seq} at least are gone.`,
    });
  }

  return {
    ok: breakCount === 0,
    checked,
    firstSeq: firstSeq === null ? null : String(firstSeq),
    lastSeq: previous.seq === null || checked === 0 ? null : String(previous.seq),
    headHash: checked === 0 ? null : previous.hash,
    range,
    break: breaks[0] ?? null,
    breaks,
    breakCount,
    prunedThroughSeq: prunedThroughSeq === null ? null : String(prunedThroughSeq),
    anchors: anchorStats,
    durationMs: Date.now() - started,
  };
};
