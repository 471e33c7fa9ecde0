"use client";

import { useActionState } from "react";
import { setUserActiveAction, type TActionResult } from "./actions";

export const UserActiveForm = ({ userId, userName, active }: { userId: string; userName: string; active: boolean }) => {
  const [result, formAction, pending] = useActionState<TActionResult | null, FormData>(setUserActiveAction, null);
  return (
    <form action={formAction} className="flex items-center gap-2">
      <input type="hidden" name="userId" value={userId} />
      <input type="hidden" name="active" value={active ? "false" : "true"} />
      <button
        type="submit"
        disabled={pending}
        aria-label={`${active ? "Deactivate" : "Reactivate"} ${userName}`}
        className={`rounded-md px-3 py-1.5 text-sm font-medium disabled:opacity-60 ${active ? "border border-red-300 text-red-800 hover:bg-red-50" : "border border-green-300 text-green-800 hover:bg-green-50"}`}
      >
        {active ? "Deactivate" : "Reactivate"}
      </button>
      <span role="status" className={`text-sm ${result?.ok === false ? "text-red-700" : "text-slate-600"}`}>
        {result?.message ?? ""}
      </span>
    </form>
  );
};
