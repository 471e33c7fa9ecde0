/**
 * FormData → the plain inputs the catalog's domain functions validate, and the domain's
 * field errors → what the forms show beside each field. Parsing only: every rule lives in
 * lib/catalog/schemas.ts.
 */
import type { TPolicyInput, TResourceInput } from "@/lib/catalog";

export type TFormResult =
  | { ok: true; message: string }
  | {
      ok: false;
      message: string;
      /** Reason per form field (the first segment of the domain's field path). */
      fields: Record<string, string>;
      /** What was submitted, so the form shows it again rather than resetting to its defaults. */
      values: Record<string, string[]>;
    };

const text = (form: FormData, name: string): string | undefined => {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
};

/** "a, b,,c" → ["a", "b", "c"]: group and permission lists are typed comma-separated. */
const commaList = (form: FormData, name: string): string[] =>
  (text(form, name) ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

const checkedValues = (form: FormData, name: string): string[] =>
  form.getAll(name).filter((value): value is string => typeof value === "string");

/** Empty means "not given" (the schema's default, or "is required"); anything else is a number or NaN. */
const number = (form: FormData, name: string): number | undefined => {
  const value = text(form, name)?.trim();
  return value ? Number(value) : undefined;
};

/** The domain's schema answers "is required" for an empty one; the type only says it must be sent. */
const requiredNumber = (form: FormData, name: string): number => number(form, name) as number;

export const resourceFromForm = (form: FormData): TResourceInput => ({
  key: text(form, "key")?.trim() ?? "",
  name: text(form, "name") ?? "",
  description: text(form, "description") ?? "",
  environment: text(form, "environment") ?? "",
  permissions: commaList(form, "permissions"),
  slackChannel: text(form, "slackChannel") ?? null,
});

export const policyFromForm = (form: FormData): TPolicyInput => {
  const stages = stagesFromText(text(form, "stages") ?? "");
  return {
    ...policyFieldsFromForm(form),
    // With stages, the approver groups are theirs (ADR 0055): the form fills them in.
    approverGroups:
      stages.length > 0
        ? [...new Set(stages.flatMap((stage) => stage.approverGroups))]
        : commaList(form, "approverGroups"),
    stages,
    escalationGroups: commaList(form, "escalationGroups"),
    escalationAfterMinutes: number(form, "escalationAfterMinutes") ?? null,
    onBehalfOfAllowed: form.get("onBehalfOfAllowed") === "on",
  };
};

/**
 * "Team lead: db-leads x1; Security: sec-a, sec-b x2" → stages; a part that does not read as
 * one keeps what it has (NaN approvals, no groups) for the schema to name.
 */
const stagesFromText = (value: string): Array<{ name: string; approverGroups: string[]; approvalsRequired: number }> =>
  value
    .split(";")
    .map((item) => item.trim())
    .filter((item) => item !== "")
    .map((item) => {
      const at = item.indexOf(":");
      const name = at < 0 ? item : item.slice(0, at).trim();
      const rest = at < 0 ? "" : item.slice(at + 1).trim();
      const count = /\bx(\d+)\s*$/.exec(rest);
      const groups = (count ? rest.slice(0, count.index) : rest)
        .split(",")
        .map((group) => group.trim())
        .filter((group) => group !== "");
      return { name, approverGroups: groups, approvalsRequired: count ? Number(count[1]) : Number.NaN };
    });

const policyFieldsFromForm = (form: FormData): TPolicyInput => ({
  name: text(form, "name") ?? "",
  permissions: checkedValues(form, "permissions"),
  requesterGroups: commaList(form, "requesterGroups"),
  approverGroups: commaList(form, "approverGroups"),
  approvalsRequired: number(form, "approvalsRequired"),
  defaultDurationMinutes: requiredNumber(form, "defaultDurationMinutes"),
  maxDurationMinutes: requiredNumber(form, "maxDurationMinutes"),
  // The switch off means no justification; on, the length beside it (the schema's default if empty).
  minJustificationLength: form.get("justificationRequired") === "on" ? number(form, "minJustificationLength") : 0,
  ticketRequired: form.get("ticketRequired") === "on",
  ticketPattern: text(form, "ticketPattern") ?? null,
  decisionWindowMinutes: number(form, "decisionWindowMinutes"),
  autoApproveGroups: commaList(form, "autoApproveGroups"),
  autoApprovePermissions: checkedValues(form, "autoApprovePermissions"),
  breakGlassAllowed: form.get("breakGlassAllowed") === "on",
  breakGlassMaxMinutes: number(form, "breakGlassMaxMinutes") ?? null,
  riskThreshold: number(form, "riskThreshold") ?? null,
  riskExtraApprovals: number(form, "riskExtraApprovals"),
  riskBlocksAutoApproval: form.get("riskBlocksAutoApproval") === "on",
  usageResponse: (text(form, "usageResponse") ?? "alert") as TPolicyInput["usageResponse"],
  usageCeilings: ceilingsFromText(text(form, "usageCeilings") ?? ""),
});

/** "rows_read=50000, bytes_out=1e9" → { rows_read: 50000, bytes_out: 1e9 }; a bad number stays NaN for the schema to name. */
const ceilingsFromText = (value: string): Record<string, number> =>
  Object.fromEntries(
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "")
      .map((item) => {
        const at = item.indexOf("=");
        return at < 0 ? [item, Number.NaN] : [item.slice(0, at).trim(), Number(item.slice(at + 1).trim() || "x")];
      }),
  );

/** `requesterGroups[1]: reason` → `requesterGroups: entry 2: reason`; first reason per field wins. */
export const formFields = (fields: Record<string, string>): Record<string, string> => {
  // A Map, not `out[field] ??=`: a name like "constructor" or "__proto__" is found on any object.
  const out = new Map<string, string>();
  for (const [path, message] of Object.entries(fields)) {
    const match = /^([A-Za-z]+)(?:\[(\d+)\])?/.exec(path);
    const field = match?.[1] ?? "form";
    const entry = match?.[2] === undefined ? "" : `entry ${Number(match[2]) + 1}: `;
    if (!out.has(field)) out.set(field, `${entry}${message}`);
  }
  return Object.fromEntries(out);
};

/** Submitted text fields, to show again after a refusal (files and hidden ids left out). */
export const submittedValues = (form: FormData): Record<string, string[]> => {
  // The names are the sender's: a Map, so "__proto__" or "constructor" is a name like any other.
  const values = new Map<string, string[]>();
  for (const [name, value] of form.entries()) {
    if (typeof value !== "string" || name.startsWith("$")) continue;
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return Object.fromEntries(values);
};

/** A refusal (lib/security/server-action-guard.ts) as a form shows it: reasons per field, and what was typed. */
export const formRefusal = (
  refusal: { message: string; fields: Record<string, string> },
  form: FormData | null,
): Extract<TFormResult, { ok: false }> => ({
  ok: false,
  message: refusal.message,
  fields: formFields(refusal.fields),
  values: form ? submittedValues(form) : {},
});
