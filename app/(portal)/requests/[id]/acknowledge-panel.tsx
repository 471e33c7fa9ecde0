"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { acknowledgeRequestAction } from "./actions";

/**
 * For the person a teammate filed this request for (ADR 0057): nothing starts until they say
 * they want it. One click; the grant follows at once if the request is already approved.
 */
export const AcknowledgePanel = ({
  requestId,
  filedBy,
  acknowledged,
}: {
  requestId: string;
  filedBy: string;
  /** Already acknowledged: the panel stays (so its announcement survives the refresh), without the button. */
  acknowledged: boolean;
}) => {
  const router = useRouter();
  const [message, setMessage] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const [pending, setPending] = useState(false);
  return (
    <section aria-label="Acknowledge this request" className="rounded-md border border-amber-300 bg-amber-50 p-4">
      <h2 className="mb-2 text-lg font-medium">Filed for you</h2>
      <p className="mb-3 text-sm">
        {filedBy} asked for this access for you. Nothing starts until you acknowledge it, and until it is approved.
      </p>
      {acknowledged && !message ? <p className="text-sm">You acknowledged it.</p> : null}
      {acknowledged ? null : (
        <button
          type="button"
          disabled={pending}
          onClick={async () => {
            setPending(true);
            const result = await acknowledgeRequestAction(requestId);
            setPending(false);
            if (!result.ok) {
              setMessage({ tone: "error", text: result.message });
              return;
            }
            setMessage({
              tone: "ok",
              text: result.started
                ? "Acknowledged. Your access is granted."
                : "Acknowledged. It waits for the approvers.",
            });
            router.refresh();
          }}
          className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white disabled:opacity-50"
        >
          Acknowledge
        </button>
      )}
      <p role="status" className={`mt-2 text-sm ${message?.tone === "error" ? "text-red-700" : "text-green-800"}`}>
        {message?.text}
      </p>
    </section>
  );
};
