"use client";

import { useActionState } from "react";
import { markAllReadAction, type TMarkReadResult } from "./actions";

export const MarkAllReadButton = ({ disabled }: { disabled: boolean }) => {
  const [result, formAction, pending] = useActionState<TMarkReadResult | null, FormData>(
    () => markAllReadAction(),
    null,
  );
  return (
    <form action={formAction} className="mb-4 flex items-center gap-3">
      <button
        type="submit"
        disabled={disabled || pending}
        className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 disabled:opacity-60"
      >
        Mark all read
      </button>
      <span role="status" className={`text-sm ${result?.ok === false ? "text-red-700" : "text-slate-600"}`}>
        {result?.message ?? ""}
      </span>
    </form>
  );
};
