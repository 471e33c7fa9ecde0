"use client";

import { useState, useTransition } from "react";
import { signOutEverywhereAction } from "./actions";

/** Ends every session and device of the person; this browser lands on the sign-in page. */
export const SignOutEverywhereButton = () => {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  return (
    <span className="flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        className="rounded border border-red-300 px-3 py-1.5 text-sm text-red-800 disabled:opacity-50"
        onClick={() => {
          if (!window.confirm("Sign out every browser and every terminal signed in as you?")) return;
          startTransition(async () => {
            const answer = await signOutEverywhereAction("everywhere");
            // A full load: every session is gone, so the portal sends this browser to sign in.
            if (answer.ok) window.location.reload();
            else setMessage(answer.message);
          });
        }}
      >
        Sign out everywhere
      </button>
      {message ? (
        <span role="alert" className="text-sm text-red-700">
          {message}
        </span>
      ) : null}
    </span>
  );
};
