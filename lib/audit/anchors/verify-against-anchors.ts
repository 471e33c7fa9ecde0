import type { Db } from "../../db";
import { type TAnchorPoint, type TChainVerification, verifyAuditChain } from "../verify-chain";
import { loadAnchors, type TLoadedAnchors } from "./load-anchors";
import type { TAnchorSink } from "./anchor-sink";

export type TAnchoredVerification = TChainVerification & {
  /** Where the anchors came from, the newest, the lines refused, and whether they could be read at all. */
  anchoring: Omit<TLoadedAnchors, "anchors"> & { used: number };
};

/**
 * The check the CLI and the Security area run: the chain, against the newest signed anchors
 * read back from the sink (plus any given by hand). Not ok when the chain breaks anywhere or
 * when the anchors cannot be read (then nothing vouches for the tail).
 */
export const verifyAgainstAnchors = async (
  options: {
    from?: Date | null;
    to?: Date | null;
    extraAnchors?: TAnchorPoint[];
    client?: Db;
    key?: string | null;
    sink?: TAnchorSink | null;
    sinkToken?: string | null;
  } = {},
): Promise<TAnchoredVerification> => {
  const { anchors, ...loaded } = await loadAnchors({
    key: options.key,
    sink: options.sink,
    sinkToken: options.sinkToken,
  });
  const all = [...anchors, ...(options.extraAnchors ?? [])];
  const result = await verifyAuditChain({ from: options.from, to: options.to, anchors: all, client: options.client });
  return { ...result, ok: result.ok && loaded.error === null, anchoring: { ...loaded, used: all.length } };
};
