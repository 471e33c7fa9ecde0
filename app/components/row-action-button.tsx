"use client";

import { useState, useTransition } from "react";

type TAnswer = { ok: true } | { ok: false; message: string };

/**
 * A button that runs one server action on one row (sign out a device, end a delegation) and
 * shows its refusal beside it. The action is passed down from the page, with the row's id.
 * With `confirmation`, it asks first, for a change that cannot be undone.
 */
export const RowActionButton = ({
  action,
  id,
  label,
  accessibleName,
  confirmation,
}: {
  action: (id: string) => Promise<TAnswer>;
  id: string;
  label: string;
  accessibleName: string;
  confirmation?: string;
}) => {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  return (
    <span className="flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={accessibleName}
        className="rounded border border-red-300 px-2 py-1 text-sm text-red-800 disabled:opacity-50"
        onClick={() => {
          if (confirmation && !window.confirm(confirmation)) return;
          startTransition(async () => {
            const answer = await action(id);
            setMessage(answer.ok ? null : answer.message);
          });
        }}
      >
        {label}
      </button>
      {message ? (
        <span role="alert" className="text-sm text-red-700">
          {message}
        </span>
      ) : null}
    </span>
  );
};
