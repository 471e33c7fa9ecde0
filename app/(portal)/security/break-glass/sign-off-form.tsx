"use client";

import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { signOffBreakGlassAction } from "./actions";

/** A reviewer's comment and sign-off for one break-glass grant. */
export const SignOffForm = ({ grantId, label }: { grantId: string; label: string }) => {
  const router = useRouter();
  const id = useId();
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const signOff = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const result = await signOffBreakGlassAction({ grantId, comment });
      if (!result.ok) return setMessage(result.message);
      router.refresh();
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="mt-3">
      <label htmlFor={`${id}-comment`} className="block text-sm font-medium">
        Review comment
      </label>
      <textarea
        id={`${id}-comment`}
        rows={2}
        value={comment}
        onChange={(event) => setComment(event.target.value)}
        className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2"
      />
      <div className="mt-2 flex items-center gap-3">
        <button
          type="button"
          disabled={busy}
          onClick={() => void signOff()}
          aria-label={label}
          className="rounded-md bg-slate-900 px-3 py-2 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-60"
        >
          Sign off
        </button>
        <span role="status" className="text-sm text-red-700">
          {message}
        </span>
      </div>
    </div>
  );
};
