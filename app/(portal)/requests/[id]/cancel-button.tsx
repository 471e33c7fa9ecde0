"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { cancelRequestAction } from "./actions";

export const CancelButton = ({ requestId }: { requestId: string }) => {
  const router = useRouter();
  const [message, setMessage] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  return (
    <div className="flex items-center gap-3">
      <button
        type="button"
        disabled={pending}
        onClick={async () => {
          setPending(true);
          const result = await cancelRequestAction(requestId);
          setPending(false);
          if (result.ok) router.refresh();
          else setMessage(result.message);
        }}
        className="rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-100 disabled:opacity-60"
      >
        Cancel request
      </button>
      <span role="status" className="text-sm text-red-700">
        {message}
      </span>
    </div>
  );
};
