"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { confirmWithPasskey } from "@/app/components/passkey-client";
import { decideBundleAction, startBundleDecisionAction } from "./actions";

type TDecision = "APPROVE" | "DENY";
type TItem = { requestId: string; label: string };

/**
 * Approve or deny every item this person may decide, with ONE passkey confirmation: the
 * server issues a challenge for exactly these (request, decision) pairs (ADR 0054).
 */
export const BundleDecisionPanel = ({ submissionId, items }: { submissionId: string; items: TItem[] }) => {
  const router = useRouter();
  const [chosen, setChosen] = useState<string[]>(items.map((item) => item.requestId));
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState<TDecision | null>(null);
  const [result, setResult] = useState<{ tone: "ok" | "error"; text: string; needsPasskey?: boolean } | null>(null);

  const decide = async (decision: TDecision) => {
    // Only items still offered: after a refresh the decided ones are gone from `items`.
    const set = chosen
      .filter((requestId) => items.some((item) => item.requestId === requestId))
      .map((requestId) => ({ requestId, decision }));
    if (set.length === 0) return setResult({ tone: "error", text: "Choose at least one item." });
    setBusy(decision);
    setResult(null);
    try {
      const started = await startBundleDecisionAction({ submissionId, items: set });
      if (!started.ok) {
        setResult({ tone: "error", text: started.message, needsPasskey: started.fields.passkey === "required" });
        return;
      }
      const confirmed = await confirmWithPasskey(started.options);
      if (!confirmed.ok) return setResult({ tone: "error", text: confirmed.message });
      const decided = await decideBundleAction({
        submissionId,
        items: set,
        comment: comment || undefined,
        assertion: confirmed.response,
      });
      if (!decided.ok) return setResult({ tone: "error", text: decided.fields.comment ?? decided.message });
      const verb = decision === "APPROVE" ? "Approved" : "Denied";
      const skipped = decided.skipped.map((skip) => skip.reason).join(" ");
      setResult({
        tone: "ok",
        text: `${verb} ${decided.decided} item${decided.decided === 1 ? "" : "s"} with one confirmation.${skipped ? ` Skipped: ${skipped}` : ""}`,
      });
      router.refresh();
    } finally {
      setBusy(null);
    }
  };

  return (
    <section aria-label="Your decision" className="rounded-md border border-slate-200 bg-white p-4">
      <h2 className="text-lg font-medium">Your decision</h2>
      {items.length > 0 ? (
        <>
          <p className="mt-1 text-sm text-slate-600">One passkey confirmation decides every item you choose.</p>
          <fieldset className="mt-3 space-y-1">
            <legend className="font-medium">Items you may decide</legend>
            {items.map((item) => (
              <label key={item.requestId} className="flex items-center gap-2">
                <input
                  type="checkbox"
                  checked={chosen.includes(item.requestId)}
                  onChange={(event) =>
                    setChosen((current) =>
                      event.target.checked
                        ? [...current, item.requestId]
                        : current.filter((id) => id !== item.requestId),
                    )
                  }
                />
                {item.label}
              </label>
            ))}
          </fieldset>
          <div className="mt-4 grid grid-cols-2 gap-3">
            <button
              type="button"
              disabled={busy !== null}
              onClick={() => void decide("APPROVE")}
              className="min-h-14 rounded-md bg-green-700 px-4 py-3 text-lg font-medium text-white hover:bg-green-800 disabled:opacity-60"
            >
              {busy === "APPROVE" ? "Confirm with your passkey…" : "Approve chosen"}
            </button>
            <button
              type="button"
              disabled={busy !== null}
              onClick={() => void decide("DENY")}
              className="min-h-14 rounded-md border border-red-300 px-4 py-3 text-lg font-medium text-red-800 hover:bg-red-50 disabled:opacity-60"
            >
              {busy === "DENY" ? "Confirm with your passkey…" : "Deny chosen"}
            </button>
          </div>
          <label htmlFor="bundle-comment" className="mt-4 block font-medium">
            Comment (required to deny)
          </label>
          <textarea
            id="bundle-comment"
            rows={2}
            value={comment}
            onChange={(event) => setComment(event.target.value)}
            className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2"
          />
        </>
      ) : (
        <p className="mt-1 text-sm text-slate-600">Nothing in this bundle is waiting for your decision.</p>
      )}
      <div role="status" className={`mt-3 text-sm ${result?.tone === "error" ? "text-red-700" : "text-green-800"}`}>
        {result?.text}{" "}
        {result?.needsPasskey ? (
          <Link href={`/passkeys?returnTo=/submissions/${submissionId}`} className="underline">
            Register a passkey
          </Link>
        ) : null}
      </div>
    </section>
  );
};
