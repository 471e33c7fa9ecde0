/**
 * How the portal writes an instant for people, everywhere (pages, notifications, e-mail):
 * `YYYY-MM-DD HH:MM UTC`. UTC because approvers, engineers and auditors sit in different
 * zones and must read the same instant; pages add the reader's local time beside it.
 */
export const formatUtc = (date: Date): string =>
  date
    .toISOString()
    .replace("T", " ")
    .replace(/:\d\d\.\d{3}Z$/, " UTC");

/**
 * The same instant in the reader's zone, for beside the UTC form: `14:03 your time`, with the
 * date when it differs from the UTC date (`Dec 5, 01:30 your time`). Null where the zone reads
 * as UTC at that instant, so nothing is said twice.
 */
export const formatLocalBeside = (date: Date, timeZone: string): string | null => {
  const parts = (zone: string) =>
    Object.fromEntries(
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        year: "numeric",
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      })
        .formatToParts(date)
        .map((part) => [part.type, part.value]),
    ) as Record<"year" | "month" | "day" | "hour" | "minute", string>;
  const local = parts(timeZone);
  const utc = parts("UTC");
  const time = `${local.hour}:${local.minute}`;
  const sameDay = local.year === utc.year && local.month === utc.month && local.day === utc.day;
  if (sameDay && time === `${utc.hour}:${utc.minute}`) return null;
  return sameDay ? `${time} your time` : `${local.month} ${local.day}, ${time} your time`;
};

/**
 * A `datetime-local` field's value (`YYYY-MM-DDTHH:MM`, no zone) as an ISO instant, given the
 * browser's `getTimezoneOffset()` sent beside it. Undefined stays undefined; text that is not
 * a time is returned as typed, for the schema to refuse with its message.
 */
export const instantFromLocal = (local: string | undefined, offsetMinutes: number): string | undefined => {
  if (!local) return undefined;
  // Only the field's own shape: Date's parser reads odd text ("soon:00Z") as some date.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local)) return local;
  const shifted = new Date(
    new Date(`${local}:00Z`).getTime() + (Number.isFinite(offsetMinutes) ? offsetMinutes : 0) * 60_000,
  );
  return Number.isNaN(shifted.getTime()) ? local : shifted.toISOString();
};
