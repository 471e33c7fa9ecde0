import { getConfig } from "../../config";
import { db } from "../../db";
import { logger } from "../../log";
import { anchorSigner, parseAnchorKey } from "./anchor-key";
import { signAnchor, type TAnchorRecord } from "./anchor-record";
import { describeSink, type TAnchorSink, writeAnchorLine } from "./anchor-sink";

export type TAnchorChainHeadOptions = {
  /** Defaults to the configuration's key, sink and token. */
  key?: string;
  sink?: TAnchorSink;
  sinkToken?: string | null;
  now?: Date;
};

/**
 * The `audit.anchor` job (maintenance queue, every AUDIT_ANCHOR_EVERY_MINUTES): signs the
 * chain's head (the newest committed event's seq and hash) with the anchor key, writes it to
 * the log stream and appends it to the sink. The database never sees the key, so whoever can
 * rewrite the audit table cannot make the anchors agree (ADR 0028). A failed write to the sink
 * fails the job (retried, and loud), after the log line is out.
 */
export const anchorChainHead = async (options: TAnchorChainHeadOptions = {}): Promise<TAnchorRecord | null> => {
  const config = getConfig().auditAnchor;
  const key = options.key ?? config.key;
  const sink = options.sink ?? config.sink;
  if (!key || !sink) throw new Error("audit anchoring needs AUDIT_ANCHOR_KEY and AUDIT_ANCHOR_SINK");
  // Appends hold the chain lock until they commit, and seq is handed out under it: the newest
  // committed row is a head no later commit can slip under.
  const head = await db.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
  if (!head) return null;
  const record = signAnchor(anchorSigner(parseAnchorKey(key)), { ...head, anchoredAt: options.now ?? new Date() });
  logger().info(
    {
      event: { kind: "event", dataset: "jit.audit", action: "audit.anchor", sequence: Number(head.seq) },
      jit: { audit: { anchor: record, sink: describeSink(sink) } },
    },
    `audit anchor #${record.seq}`,
  );
  await writeAnchorLine(sink, options.sinkToken ?? config.sinkToken, JSON.stringify(record));
  return record;
};
