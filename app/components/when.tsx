"use client";

import { useEffect, useState } from "react";
import { formatLocalBeside, formatUtc } from "@/lib/time";

/**
 * An instant as the portal writes it (`YYYY-MM-DD HH:MM UTC`), with the reader's own time beside
 * it once the browser has said which zone it is in. The server renders the UTC form only, so the
 * first client render matches it; the local part follows right after mount.
 */
export const When = ({ at }: { at: string }) => {
  const [local, setLocal] = useState<string | null>(null);
  useEffect(() => {
    const timer = setTimeout(
      () => setLocal(formatLocalBeside(new Date(at), Intl.DateTimeFormat().resolvedOptions().timeZone)),
      0,
    );
    return () => clearTimeout(timer);
  }, [at]);
  return (
    <time dateTime={at} data-testid="when">
      {formatUtc(new Date(at))}
      {local ? <span className="text-slate-600"> ({local})</span> : null}
    </time>
  );
};
