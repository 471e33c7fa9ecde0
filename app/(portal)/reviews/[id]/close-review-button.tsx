"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { closeReviewAction } from "../actions";

/** Close a review before its deadline: its verdicts become final, its removals findings. */
export const CloseReviewButton = ({ reviewId }: { reviewId: string }) => {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  if (!confirming)
    return (
      <button
        type="button"
        onClick={() => setConfirming(true)}
        className="rounded-md border border-slate-300 px-3 py-1.5"
      >
        Close the review
      </button>
    );
  return (
    <div className="flex flex-wrap items-center gap-2">
      <span>Close it now? People not yet reviewed stay as they are, listed as not reviewed.</span>
      <button
        type="button"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await closeReviewAction(reviewId);
            if (!result.ok) return setMessage(result.message);
            setConfirming(false);
            router.refresh();
          })
        }
        className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-60"
      >
        Close now
      </button>
      <button
        type="button"
        onClick={() => setConfirming(false)}
        className="rounded-md border border-slate-300 px-3 py-1.5"
      >
        Keep it open
      </button>
      {message ? (
        <span role="alert" className="text-red-700">
          {message}
        </span>
      ) : null}
    </div>
  );
};
