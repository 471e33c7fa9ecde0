import { z } from "zod";
import { storableText } from "../storable-text";

export const ZRequestAccess = z
  .object({
    policyId: z.string().min(1).max(64),
    permissions: z.array(z.string().min(1).max(32)).min(1, "Choose at least one permission.").max(16),
    durationMinutes: z.coerce
      .number({ error: "Enter a duration in minutes." })
      .int("Whole minutes only.")
      .positive("Enter a duration in minutes."),
    /** ISO 8601; absent or empty means now. */
    startAt: z.iso.datetime({ offset: true, error: "Enter a valid start time." }).optional(),
    justification: z.string().max(2000, "At most 2000 characters.").transform(storableText),
    ticket: z.string().max(64, "At most 64 characters.").transform(storableText).optional(),
    /** For a teammate (ADR 0057): their e-mail address; absent means for oneself. */
    onBehalfOfEmail: z.string().trim().max(320, "At most 320 characters.").optional(),
  })
  .strict();
export type TRequestAccess = z.infer<typeof ZRequestAccess>;

export const ZDecision = z.enum(["APPROVE", "DENY"]);
export type TDecision = z.infer<typeof ZDecision>;

/** Zod issues as `{ field: message }`, first message per field. */
export const fieldErrors = (error: z.ZodError): Record<string, string> => {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "form";
    fields[key] ??= issue.message;
  }
  return fields;
};
