import { z } from "zod";
import { storableText } from "../storable-text";

/** The longest a delegation may run, and how far ahead one may be set up (ADR 0056). */
export const MAX_DELEGATION_DAYS = 30;
export const MAX_DELEGATION_LEAD_DAYS = 90;
export const MIN_DELEGATION_REASON = 5;

export const ZCreateDelegation = z.strictObject({
  /** The delegate's e-mail address, as the directory knows it. */
  delegateEmail: z.string().trim().min(3, "Enter the delegate's e-mail address.").max(320),
  /** Absent: from now. */
  startsAt: z.iso.datetime({ offset: true, error: "Enter a valid start time." }).optional(),
  endsAt: z.iso.datetime({ offset: true, error: "Enter a valid end time." }),
  reason: z
    .string()
    .max(500)
    .transform(storableText)
    .transform((text) => text.trim())
    .pipe(z.string().min(MIN_DELEGATION_REASON, `Say why, in at least ${MIN_DELEGATION_REASON} characters.`)),
});
export type TCreateDelegation = z.input<typeof ZCreateDelegation>;

export const ZEndDelegation = z.strictObject({ delegationId: z.string().min(1).max(64) });
