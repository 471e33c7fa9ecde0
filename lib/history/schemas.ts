import { z } from "zod";

export const GRANT_STATUSES = ["active", "scheduled", "expired", "revoked"] as const;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `at most ${max} characters`)
    // A NUL cannot be stored or compared by PostgreSQL; no name, e-mail or key has a control character.
    .refine((value) => !/\p{Cc}/u.test(value), "must not contain control characters")
    .optional()
    .transform((value) => (value ? value : undefined));

/** A calendar day (UTC) or a full ISO instant. */
const optionalDate = z
  .string()
  .trim()
  .optional()
  .transform((value, context) => {
    if (!value) return undefined;
    const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value);
    if (Number.isNaN(date.getTime())) {
      context.addIssue({ code: "custom", message: "not a date (use YYYY-MM-DD)" });
      return z.NEVER;
    }
    return date;
  });

/**
 * The grant history's filters, as they arrive in a URL's query string (the page, the
 * export and the links between them all use the same names). `to` is exclusive; a bare day
 * in `to` means the end of that day.
 */
export const ZHistoryFilter = z
  .object({
    person: optionalText(200),
    resource: optionalText(100),
    environment: optionalText(100),
    status: z
      .enum(GRANT_STATUSES)
      .optional()
      .or(z.literal("").transform(() => undefined)),
    from: optionalDate,
    to: z
      .string()
      .trim()
      .optional()
      .transform((value) =>
        value && /^\d{4}-\d{2}-\d{2}$/.test(value)
          ? new Date(new Date(`${value}T00:00:00.000Z`).getTime() + 86_400_000).toISOString()
          : value,
      )
      .pipe(optionalDate),
    breakGlass: z
      .enum(["yes", "no"])
      .optional()
      .or(z.literal("").transform(() => undefined)),
    approver: optionalText(200),
    q: optionalText(200),
    /** Keyset cursor: the id of the last grant of the previous page. */
    after: z
      .string()
      .trim()
      .max(64)
      .regex(/^[0-9a-f-]*$/i, "not a grant id")
      .optional()
      .transform((value) => (value ? value : undefined)),
  })
  .strip();
export type THistoryFilter = z.output<typeof ZHistoryFilter>;

/** Reads filters from URLSearchParams or a Next.js searchParams object (first value wins). */
export const filterInputFrom = (
  params: URLSearchParams | Record<string, string | string[] | undefined>,
): Record<string, string> => {
  const entries =
    params instanceof URLSearchParams
      ? [...params.entries()]
      : Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v] as const);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) if (typeof value === "string" && !(key in out)) out[key] = value;
  return out;
};

/** The query string for a filter (the keyset cursor left out unless asked for). */
export const filterQuery = (filter: THistoryFilter, extra: Record<string, string | undefined> = {}): string => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filter, ...extra })) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, value instanceof Date ? value.toISOString() : String(value));
  }
  return params.toString();
};
