"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { confirmWithPasskey } from "@/app/components/passkey-client";
import { decideReviewAction, startReviewDecisionAction } from "../actions";
import { ReviewItemHead } from "./review-item-head";

type TVerdict = "CERTIFY" | "REMOVE";
export type TDecidableItem = {
  id: string;
  person: string;
  policy: string;
  groups: string;
  usage: string;
  verdict: TVerdict | null;
  reason: string | null;
};
type TChoice = { verdict: TVerdict | ""; reason: string };

/**
 * A reviewer's verdicts: certify or mark for removal (with a reason) each person they may
 * decide, then one passkey confirmation records every verdict chosen; the server issues the
 * challenge for exactly that set (ADR 0058). A verdict may be changed until the review closes.
 */
export const ReviewDecisionPanel = ({ reviewId, items }: { reviewId: string; items: TDecidableItem[] }) => {
  const router = useRouter();
  const [choices, setChoices] = useState<Record<string, TChoice>>({});
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ tone: "ok" | "error"; text: string; needsPasskey?: boolean } | null>(null);
  const choose = (id: string, change: Partial<TChoice>) =>
    setChoices((current) => ({ ...current, [id]: { verdict: "", reason: "", ...current[id], ...change } }));
  const chosen = Object.entries(choices)
    .filter(([id, choice]) => choice.verdict !== "" && items.some((item) => item.id === id))
    .map(([itemId, choice]) => ({ itemId, verdict: choice.verdict as TVerdict, reason: choice.reason.trim() }));

  const certifyUndecided = () => {
    for (const item of items)
      if (item.verdict === null && !choices[item.id]?.verdict) choose(item.id, { verdict: "CERTIFY" });
  };

  const submit = async () => {
    if (chosen.length === 0) return setResult({ tone: "error", text: "Choose a verdict for at least one person." });
    const missing = chosen.find((choice) => choice.verdict === "REMOVE" && choice.reason.length < 5);
    if (missing) {
      const item = items.find((candidate) => candidate.id === missing.itemId);
      return setResult({
        tone: "error",
        text: `Say why ${item?.person ?? "they"} should lose ${item?.policy ?? "it"}.`,
      });
    }
    setBusy(true);
    setResult(null);
    try {
      const started = await startReviewDecisionAction({ reviewId, items: chosen });
      if (!started.ok) {
        setResult({ tone: "error", text: started.message, needsPasskey: started.fields.passkey === "required" });
        return;
      }
      const confirmed = await confirmWithPasskey(started.options);
      if (!confirmed.ok) return setResult({ tone: "error", text: confirmed.message });
      const decided = await decideReviewAction({ reviewId, items: chosen, assertion: confirmed.response });
      if (!decided.ok) return setResult({ tone: "error", text: decided.message });
      setChoices({});
      setResult({
        tone: "ok",
        text: `Recorded ${decided.decided} verdict${decided.decided === 1 ? "" : "s"} with one confirmation (${decided.removals} marked for removal).`,
      });
      router.refresh();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-label="Your verdicts" className="rounded-md border border-slate-200 bg-white p-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-lg font-medium">Your verdicts</h2>
        <button type="button" onClick={certifyUndecided} className="rounded border border-slate-300 px-2 py-1 text-sm">
          Certify everyone not yet reviewed
        </button>
      </div>
      <p className="mt-1 text-sm text-slate-600">
        One passkey confirmation records every verdict you choose. A removal needs a reason.
      </p>
      <table className="mt-3 w-full text-left text-sm">
        <ReviewItemHead then={["Recorded", "Verdict", "Reason"]} />
        <tbody>
          {items.map((item) => {
            const choice = choices[item.id] ?? { verdict: "", reason: "" };
            const label = `${item.person} on ${item.policy}`;
            return (
              <tr key={item.id} className="border-b border-slate-100 align-top">
                <td className="py-1">{item.person}</td>
                <td className="py-1">{item.policy}</td>
                <td className="py-1">{item.groups}</td>
                <td className="py-1">{item.usage}</td>
                <td className="py-1">
                  {item.verdict === "CERTIFY" ? "certified" : item.verdict === "REMOVE" ? "remove" : "—"}
                </td>
                <td className="py-1">
                  <select
                    aria-label={`Verdict for ${label}`}
                    value={choice.verdict}
                    onChange={(event) => choose(item.id, { verdict: event.target.value as TVerdict | "" })}
                    className="rounded border border-slate-300 px-1 py-0.5"
                  >
                    <option value="">{item.verdict ? "keep" : "choose"}</option>
                    <option value="CERTIFY">Certify</option>
                    <option value="REMOVE">Remove</option>
                  </select>
                </td>
                <td className="py-1">
                  <input
                    aria-label={`Reason for ${label}`}
                    value={choice.reason}
                    maxLength={500}
                    onChange={(event) => choose(item.id, { reason: event.target.value })}
                    className="w-full rounded border border-slate-300 px-1 py-0.5"
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <button
        type="button"
        disabled={busy}
        onClick={() => void submit()}
        className="mt-4 rounded-md bg-slate-900 px-4 py-2 font-medium text-white disabled:opacity-60"
      >
        {busy ? "Confirm with your passkey…" : `Record ${chosen.length} verdict${chosen.length === 1 ? "" : "s"}`}
      </button>
      <div role="status" className={`mt-3 text-sm ${result?.tone === "error" ? "text-red-700" : "text-green-800"}`}>
        {result?.text}{" "}
        {result?.needsPasskey ? (
          <Link href={`/passkeys?returnTo=/reviews/${reviewId}`} className="underline">
            Register a passkey
          </Link>
        ) : null}
      </div>
    </section>
  );
};
