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
