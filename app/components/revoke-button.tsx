"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { confirmWithPasskey } from "./passkey-client";
import { revokeGrantAction, startRevocationAction } from "./revoke-actions";

/**
 * Ends a grant now. One's own: a click. Someone else's (security reviewers, administrators):
 * a reason and a passkey confirmation bound to this grant.
 */
export const RevokeButton = ({ grantId, own, label }: { grantId: string; own: boolean; label: string }) => {
  const router = useRouter();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
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
      setMessage("Revoked.");
      router.refresh();
    } finally {
      setBusy(false);
    }
  };

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
        onClick={() => void revoke()}
        aria-label={label}
        className="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-800 hover:bg-red-50 disabled:opacity-60"
      >
        {own ? "End now" : "Revoke"}
      </button>
      <span role="status" className="text-sm">
        {message}
      </span>
    </div>
  );
};
