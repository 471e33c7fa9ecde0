import type { TGrantHistoryRow } from "./grant-history";

export const EXPORT_FORMATS = ["csv", "jsonl"] as const;
export type TExportFormat = (typeof EXPORT_FORMATS)[number];

const iso = (date: Date | null): string => date?.toISOString() ?? "";

/** The exported fields, in order; CSV headers and JSON Lines keys alike. */
export const EXPORT_COLUMNS: Array<[string, (row: TGrantHistoryRow) => string | number | boolean | string[] | null]> = [
  ["grant_id", (row) => row.id],
  ["subject_name", (row) => row.subjectName],
  ["subject_email", (row) => row.subjectEmail],
  ["resource", (row) => row.resourceKey],
  ["environment", (row) => row.environment],
  ["permissions", (row) => row.permissions],
  ["status", (row) => row.status],
  ["break_glass", (row) => row.breakGlass],
  ["requested_at", (row) => iso(row.requestedAt)],
  ["decided_at", (row) => iso(row.decidedAt)],
  ["requested_minutes", (row) => row.requestedMinutes],
  ["actual_minutes", (row) => row.actualMinutes],
  ["starts_at", (row) => iso(row.startsAt)],
  ["expires_at", (row) => iso(row.expiresAt)],
  ["revoked_at", (row) => iso(row.revokedAt)],
  ["ending", (row) => row.ending],
  ["justification", (row) => row.justification],
  ["ticket", (row) => row.ticket],
  ["approvers", (row) => row.approvers],
  ["extensions", (row) => row.extensions],
  ["request_id", (row) => row.requestId],
];

// A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
// Excel in a locale whose list separator is `;` splits a CSV file at every `;`, quotes or not,
// so the text after each `;` starts a cell of its own there. Such starts (spaces and quotes
// before the trigger included, which some readers skip) get an apostrophe, which
// spreadsheets show as text: the first character of the cell and the one after each `;`.
const FORMULA_AFTER_START_OR_SEMICOLON = /(^|;)(?=[ "]*[=+\-@\t\r])/g;

/** The text with every place a spreadsheet could start a formula defused by an apostrophe. */
export const neutraliseFormulas = (text: string): string => text.replace(FORMULA_AFTER_START_OR_SEMICOLON, "$1'");

/**
 * One CSV cell: every cell quoted (RFC 4180, quotes doubled), so no separator, quote or line
 * break inside a value can shift a column, whatever the reader's locale treats as separator.
 */
export const csvCell = (value: string | number | boolean | string[] | null): string => {
  const text = value === null ? "" : Array.isArray(value) ? value.join("; ") : String(value);
  return `"${neutraliseFormulas(text).replace(/"/g, '""')}"`;
};

export const csvHeader = (): string => `${EXPORT_COLUMNS.map(([name]) => csvCell(name)).join(",")}\r\n`;

export const csvLine = (row: TGrantHistoryRow): string =>
  `${EXPORT_COLUMNS.map(([, get]) => csvCell(get(row))).join(",")}\r\n`;

export const jsonLine = (row: TGrantHistoryRow): string =>
  `${JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map(([name, get]) => [name, get(row)])))}\n`;
