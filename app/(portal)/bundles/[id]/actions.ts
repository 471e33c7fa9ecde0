"use server";

import { redirect } from "next/navigation";
import { requestBundle } from "@/lib/bundles";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { formAction } from "@/lib/security/server-action-guard";

export type TBundleFormValues = { durationMinutes: string; justification: string; ticket: string };
export type TBundleFormState = {
  message: string;
  fields: Record<string, string>;
  existing?: string;
  values: TBundleFormValues;
} | null;

const text = (form: FormData, name: string): string | undefined => {
  const value = form.get(name);
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
};

/** Sent back on a refusal so the form shows what the person typed (React resets it). */
const valuesOf = (form: FormData | null): TBundleFormValues => ({
  durationMinutes: (form && text(form, "durationMinutes")) ?? "",
  justification: (form && text(form, "justification")) ?? "",
  ticket: (form && text(form, "ticket")) ?? "",
});

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const requestBundleAction = formAction<TBundleFormState>(
  ({ message, fields }, form) => ({ message, fields, existing: fields.existing, values: valuesOf(form) }),
  async (form) => {
    const { submissionId } = await requestBundle({
      actor: await requireActor(),
      input: {
        bundleId: text(form, "bundleId") ?? "",
        durationMinutes: Number(text(form, "durationMinutes") ?? "NaN"),
        justification: text(form, "justification") ?? "",
        ticket: text(form, "ticket"),
      },
      context: await requestContext(),
    });
    // redirect() works by throwing; the guard lets it through.
    redirect(`/submissions/${submissionId}`);
  },
);
