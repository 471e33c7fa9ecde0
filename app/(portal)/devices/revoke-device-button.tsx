"use client";

import { useState, useTransition } from "react";
import { revokeDeviceAction } from "./actions";

export const RevokeDeviceButton = ({ deviceId, name }: { deviceId: string; name: string }) => {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  return (
    <span className="flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={`Sign out ${name}`}
        className="rounded border border-red-300 px-2 py-1 text-sm text-red-800 disabled:opacity-50"
        onClick={() =>
          startTransition(async () => {
            const answer = await revokeDeviceAction(deviceId);
            setMessage(answer.ok ? null : answer.message);
          })
        }
      >
        Sign out
      </button>
      {message ? (
        <span role="alert" className="text-sm text-red-700">
          {message}
        </span>
      ) : null}
    </span>
  );
};
