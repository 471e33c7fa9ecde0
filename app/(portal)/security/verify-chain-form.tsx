"use client";

import { useActionState } from "react";
import { verifyChainAction, type TVerifyState } from "./actions";

export const VerifyChainForm = () => {
  const [state, action, pending] = useActionState<TVerifyState, FormData>(verifyChainAction, { status: "idle" });
  return (
    <form action={action} className="space-y-3 rounded-md border border-slate-200 bg-white p-4">
      <div className="flex flex-wrap items-end gap-3">
        <label className="text-sm">
          From (optional)
          <input type="date" name="from" className="mt-1 block rounded border border-slate-300 px-2 py-1" />
        </label>
        <label className="text-sm">
          To (optional)
          <input type="date" name="to" className="mt-1 block rounded border border-slate-300 px-2 py-1" />
        </label>
        <button
          type="submit"
          disabled={pending}
          className="rounded bg-slate-900 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50"
        >
          {pending ? "Verifying…" : "Verify the audit chain"}
        </button>
      </div>
      <div role="status" aria-live="polite" data-testid="verify-result">
        {state.status === "done" && state.ok ? (
          <p className="text-green-800">
            Chain intact: {state.checked} events checked{state.lastSeq ? `, up to #${state.lastSeq}` : ""} in{" "}
            {state.durationMs} ms.
            {state.headHash ? (
              <span className="block font-mono text-xs break-all text-slate-600">
                head {state.lastSeq}:{state.headHash}
              </span>
            ) : null}
          </p>
        ) : null}
        {state.status === "done" && !state.ok ? (
          <div className="text-red-800">
            {state.breakCount > 0 ? (
              <>
                <p>
                  Chain BROKEN: {state.breakCount} {state.breakCount === 1 ? "break" : "breaks"}, the first at event #
                  {state.breakSeq}.
                </p>
                <ul className="mt-1 list-disc pl-5 text-sm">
                  {state.breaks.map((item) => (
                    <li key={`${item.problem}-${item.seq}`}>
                      <span className="font-mono">#{item.seq}</span> {item.problem}: {item.message}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p>Cannot vouch for the chain: {state.message}</p>
            )}
          </div>
        ) : null}
        {state.status === "done" ? (
          <p className="text-xs text-slate-600" data-testid="verify-anchors">
            {state.anchors.error
              ? `Anchors unavailable: ${state.anchors.error}`
              : `Checked against ${state.anchors.used} signed anchors (${state.anchors.matched} in range matched)` +
                (state.anchors.latestSeq
                  ? `, the newest #${state.anchors.latestSeq} of ${state.anchors.latestAt}.`
                  : "; none written yet.")}
            {state.anchors.refused > 0
              ? ` ${state.anchors.refused} anchor line(s) refused: bad signature or another key.`
              : ""}
          </p>
        ) : null}
        {state.status === "error" ? <p className="text-red-800">{state.message}</p> : null}
      </div>
    </form>
  );
};
