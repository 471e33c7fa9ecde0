"use server";

import { runChainVerification } from "@/lib/audit/run-chain-verification";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { formAction } from "@/lib/security/server-action-guard";

export type TVerifyState =
  | { status: "idle" }
  | {
      status: "done";
      ok: boolean;
      checked: number;
      lastSeq: string | null;
      headHash: string | null;
      durationMs: number;
      breakSeq: string | null;
      message: string | null;
      /** Every break found (the first 50), each named. */
      breaks: Array<{ seq: string; problem: string; message: string }>;
      breakCount: number;
      anchors: {
        used: number;
        matched: number;
        latestSeq: string | null;
        latestAt: string | null;
        refused: number;
        error: string | null;
      };
    }
  | { status: "error"; message: string };

const optionalDate = (value: FormDataEntryValue | null): Date | null | "invalid" => {
  if (typeof value !== "string" || value.trim() === "") return null;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `${value.trim()}T00:00:00.000Z` : value.trim());
  return Number.isNaN(date.getTime()) ? "invalid" : date;
};

/** Verifies the audit chain (whole, or a range) for a security reviewer or admin; audited. */
export const verifyChainAction = formAction<TVerifyState>(
  ({ message }) => ({ status: "error", message }),
  async (form) => {
    const from = optionalDate(form.get("from"));
    const to = optionalDate(form.get("to"));
    if (from === "invalid" || to === "invalid") return { status: "error", message: "Dates must be YYYY-MM-DD." };
    const result = await runChainVerification({
      actor: await requireActor(),
      from,
      to,
      context: await requestContext(),
    });
    return {
      status: "done",
      ok: result.ok,
      checked: result.checked,
      lastSeq: result.lastSeq,
      headHash: result.headHash,
      durationMs: result.durationMs,
      breakSeq: result.break?.seq ?? null,
      message: result.break?.message ?? result.anchoring.error,
      breaks: result.breaks.slice(0, 50).map(({ seq, problem, message }) => ({ seq, problem, message })),
      breakCount: result.breakCount,
      anchors: {
        used: result.anchoring.used,
        matched: result.anchors.matched,
        latestSeq: result.anchoring.latest?.seq ?? null,
        latestAt: result.anchoring.latest?.anchoredAt ?? null,
        refused: result.anchoring.rejected.length,
        error: result.anchoring.error,
      },
    };
  },
);
