"use client";

import { useActionState } from "react";
import { failedJobAction, type TJobActionResult } from "./actions";

/** Retry and Discard for one failed job; the accessible names carry the job, as rows look alike. */
export const FailedJobButtons = ({ queue, jobId }: { queue: string; jobId: string }) => {
  const [result, formAction, pending] = useActionState<TJobActionResult | null, FormData>(failedJobAction, null);
  return (
    <form action={formAction} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="queue" value={queue} />
      <input type="hidden" name="jobId" value={jobId} />
      <button
        type="submit"
        name="intent"
        value="retry"
        disabled={pending}
        aria-label={`Retry job ${jobId} on ${queue}`}
        className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-60"
      >
        Retry
      </button>
      <button
        type="submit"
        name="intent"
        value="discard"
        disabled={pending}
        aria-label={`Discard job ${jobId} on ${queue}`}
        className="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-800 hover:bg-red-50 disabled:opacity-60"
      >
        Discard
      </button>
      <span role="status" className={`text-sm ${result?.ok === false ? "text-red-700" : "text-slate-600"}`}>
        {result?.message ?? ""}
      </span>
    </form>
  );
};
