"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { confirmWithPasskey } from "@/app/components/passkey-client";
import { decideRequestAction, startDecisionAction } from "./actions";

type TDecision = "APPROVE" | "DENY";

/**
 * Approve or deny, each confirmed with a passkey: the server issues a challenge for this
 * request and this decision, the authenticator signs it, the server verifies and records.
 */
export const DecisionPanel = ({
  requestId,
  canDecide,
  preselected = null,
}: {
  requestId: string;
  canDecide: boolean;
  /** From a chat button: that decision's passkey prompt opens at once (approving needs no comment). */
  preselected?: TDecision | null;
}) => {
  const router = useRouter();
  const prompted = useRef(false);
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState<TDecision | null>(null);
  const [result, setResult] = useState<{ tone: "ok" | "error"; text: string; needsPasskey?: boolean } | null>(null);

  const decide = async (decision: TDecision) => {
    setBusy(decision);
    setResult(null);
    try {
      const started = await startDecisionAction(requestId, decision);
      if (!started.ok) {
        setResult({ tone: "error", text: started.message, needsPasskey: started.fields.passkey === "required" });
        return;
      }
      const confirmed = await confirmWithPasskey(started.options);
      if (!confirmed.ok) {
        setResult({ tone: "error", text: confirmed.message });
        return;
      }
      const decided = await decideRequestAction({
        requestId,
        decision,
        comment: comment || undefined,
        assertion: confirmed.response,
      });
      if (!decided.ok) {
        setResult({ tone: "error", text: decided.fields.comment ?? decided.message });
        return;
      }
      const text =
        decided.status === "APPROVED"
          ? decided.awaitingAcknowledgment
            ? "Approved. The grant starts when the person it is for acknowledges it."
            : "Approved. The grant is created."
          : decided.status === "DENIED"
            ? "Denied."
            : decided.approvals >= decided.required
              ? "Your approval is recorded: this stage is complete, and the next stage decides now."
              : `Your approval is recorded: ${decided.approvals} of ${decided.required}.`;
      setResult({ tone: "ok", text });
      router.refresh();
    } finally {
      setBusy(null);
    }
  };

  useEffect(() => {
    // Once per page load: approving from a phone is one tap in chat and one passkey touch.
    // A denial needs a comment, so Deny... only focuses the comment field.
    if (!canDecide || !preselected || prompted.current) return;
    prompted.current = true;
    // After this render: the prompt's state changes belong to the next one.
    if (preselected === "APPROVE") setTimeout(() => void decide("APPROVE"), 0);
    else document.getElementById("decision-comment")?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, on mount
  }, []);

  return (
    <section aria-label="Your decision" className="rounded-md border border-slate-200 bg-white p-4">
      <h2 className="text-lg font-medium">Your decision</h2>
      {canDecide ? (
        <>
          <p className="mt-1 text-sm text-slate-600">Each decision is confirmed with your passkey.</p>
          <div className="mt-4 grid grid-cols-2 gap-3">
            <button
              type="button"
              disabled={busy !== null}
              onClick={() => void decide("APPROVE")}
              className={`min-h-14 rounded-md bg-green-700 px-4 py-3 text-lg font-medium text-white hover:bg-green-800 disabled:opacity-60 ${preselected === "APPROVE" ? "ring-4 ring-green-300" : ""}`}
            >
              {busy === "APPROVE" ? "Confirm with your passkey…" : "Approve"}
            </button>
            <button
              type="button"
              disabled={busy !== null}
              onClick={() => void decide("DENY")}
              className={`min-h-14 rounded-md border border-red-300 px-4 py-3 text-lg font-medium text-red-800 hover:bg-red-50 disabled:opacity-60 ${preselected === "DENY" ? "ring-4 ring-red-200" : ""}`}
            >
              {busy === "DENY" ? "Confirm with your passkey…" : "Deny"}
            </button>
          </div>
          <label htmlFor="decision-comment" className="mt-4 block font-medium">
            Comment (required to deny)
          </label>
          <textarea
            id="decision-comment"
            rows={2}
            value={comment}
            onChange={(event) => setComment(event.target.value)}
            className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2"
          />
        </>
      ) : (
        <p className="mt-1 text-sm text-slate-600">You have decided on this request.</p>
      )}
      <div role="status" className={`mt-3 text-sm ${result?.tone === "error" ? "text-red-700" : "text-green-800"}`}>
        {result?.text}{" "}
        {result?.needsPasskey ? (
          <Link href={`/passkeys?returnTo=/requests/${requestId}`} className="underline">
            Register a passkey
          </Link>
        ) : null}
      </div>
    </section>
  );
};
