/**
 * The window a usage report covers, as an ISO 8601 duration. Only a small safe subset is
 * accepted (one whole number of seconds, minutes or hours: PT30S, PT1M, PT6H), from one
 * second to one day, so a report can always be turned into a rate per minute (ADR 0042).
 */
const WINDOW_PATTERN = /^PT([1-9][0-9]{0,5})([SMH])$/;
const UNIT_SECONDS = { S: 1, M: 60, H: 3_600 } as const;
export const MAX_WINDOW_SECONDS = 24 * 3_600;

/** The window in seconds, or null when it is not PT#S, PT#M or PT#H within one second to one day. */
export const parseWindow = (value: string): number | null => {
  const match = WINDOW_PATTERN.exec(value);
  if (!match?.[1] || !match[2]) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  return seconds <= MAX_WINDOW_SECONDS ? seconds : null;
};

/** A value over a window as a rate per minute, the unit every baseline and ceiling is kept in. */
export const perMinute = (value: number, windowSeconds: number): number => (value * 60) / windowSeconds;
