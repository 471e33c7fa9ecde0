import { z } from "zod";
import type { TAnchorSigner } from "./anchor-key";

/**
 * One anchor: the chain's head (sequence number and hash) at an instant, signed. One JSON
 * line in the sink and one line in the log stream. The signature covers exactly
 * `jit-audit-anchor:v1:<seq>:<hash>:<anchoredAt>`, so a verifier needs nothing but this line
 * and the public key.
 */
export const ZAnchorRecord = z.strictObject({
  v: z.literal(1),
  seq: z.string().regex(/^\d{1,19}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  anchoredAt: z.iso.datetime(),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  sig: z.string().min(1).max(200),
});
export type TAnchorRecord = z.infer<typeof ZAnchorRecord>;

const message = (record: Pick<TAnchorRecord, "seq" | "hash" | "anchoredAt">): string =>
  `jit-audit-anchor:v1:${record.seq}:${record.hash}:${record.anchoredAt}`;

export const signAnchor = (
  signer: TAnchorSigner,
  head: { seq: bigint; hash: string; anchoredAt: Date },
): TAnchorRecord => {
  const fields = { seq: String(head.seq), hash: head.hash, anchoredAt: head.anchoredAt.toISOString() };
  return { v: 1, ...fields, keyId: signer.keyId, sig: signer.sign(message(fields)) };
};

export type TCheckedAnchor = { ok: true; record: TAnchorRecord } | { ok: false; reason: string };

/** Parses and checks one line read back from a sink; never throws. */
export const checkAnchorLine = (signer: TAnchorSigner, line: string): TCheckedAnchor => {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  const parsed = ZAnchorRecord.safeParse(json);
  if (!parsed.success) return { ok: false, reason: "not an anchor record" };
  const record = parsed.data;
  if (record.keyId !== signer.keyId) return { ok: false, reason: `signed by another key (${record.keyId})` };
  if (!signer.verify(message(record), record.sig)) return { ok: false, reason: "bad signature" };
  return { ok: true, record };
};
