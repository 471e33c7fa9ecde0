"use client";

import { useEffect, useState } from "react";

const format = (ms: number): string => {
  if (ms <= 0) return "ended";
  const total = Math.ceil(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mm = String(minutes).padStart(2, "0");
  const ss = String(seconds).padStart(2, "0");
  return hours > 0 ? `${hours}:${mm}:${ss} left` : `${mm}:${ss} left`;
};

/**
 * A live countdown to an instant. Display only: validity is always computed by the server
 * from the grant's times. `role="timer"` with no live announcements every second.
 */
export const Countdown = ({ until, label }: { until: string; label: string }) => {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    // First tick right after mount (the server renders no time, so hydration matches).
    const first = setTimeout(() => setNow(Date.now()), 0);
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, []);
  const remaining = new Date(until).getTime() - (now ?? new Date(until).getTime());
  return (
    <time role="timer" aria-live="off" aria-label={label} dateTime={until} className="font-mono tabular-nums">
      {now === null ? "" : format(remaining)}
    </time>
  );
};
