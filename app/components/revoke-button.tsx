"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { confirmWithPasskey } from "./passkey-client";
import { revokeGrantAction, startRevocationAction } from "./revoke-actions";

/**
 * Ends a grant now. One's own: a click, then a confirmation that says what happens (it cannot
 * be undone). Someone else's (security reviewers, administrators): a reason and a passkey
 * confirmation bound to this grant.
 */
export const RevokeButton = ({ grantId, own, label }: { grantId: string; own: boolean; label: string }) => {
  const router = useRouter();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const revoke = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const started = await startRevocationAction(grantId);
      if (!started.ok) return setMessage(started.message);
      let assertion;
      if (started.options) {
        const confirmed = await confirmWithPasskey(started.options);
        if (!confirmed.ok) return setMessage(confirmed.message);
        assertion = confirmed.response;
      }
      const result = await revokeGrantAction({ grantId, reason: reason || undefined, assertion });
      if (!result.ok) return setMessage(result.fields.reason ?? result.message);
      setMessage(own ? "Ended." : "Revoked.");
      router.refresh();
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  if (own && confirming)
    return (
      <div
        role="alertdialog"
        aria-labelledby={`end-${grantId}`}
        className="rounded-md border border-red-300 bg-red-50 p-3"
      >
        <p id={`end-${grantId}`} className="text-sm">
          {label}? Your access is removed in the target systems and open sessions are ended. This cannot be undone: to
          get it back you request it again.
        </p>
        <div className="mt-2 flex gap-2">
          <button
            type="button"
            disabled={busy}
            onClick={() => void revoke()}
            className="rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800 disabled:opacity-60"
          >
            Yes, end it now
          </button>
          <button
            type="button"
            autoFocus
            onClick={() => setConfirming(false)}
            className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100"
          >
            Keep it
          </button>
        </div>
      </div>
    );

  return (
    <div className="flex flex-wrap items-center gap-2">
      {own ? null : (
        <>
          <label htmlFor={`revoke-reason-${grantId}`} className="text-sm font-medium">
            Reason
          </label>
          <input
            id={`revoke-reason-${grantId}`}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            className="rounded-md border border-slate-300 px-2 py-1 text-sm"
          />
        </>
      )}
      <button
        type="button"
        disabled={busy}
        onClick={() => (own ? setConfirming(true) : void revoke())}
        className="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-800 hover:bg-red-50 disabled:opacity-60"
      >
        {/* The visible text is the whole name, so what is seen is what a screen reader or voice control says. */}
        {label}
      </button>
      <span role="status" className="text-sm">
        {message}
      </span>
    </div>
  );
};
