"use server";

import { redirect } from "next/navigation";
import { requestAccess } from "@/lib/access";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { formAction } from "@/lib/security/server-action-guard";
import { instantFromLocal } from "@/lib/time";

export type TRequestFormValues = {
  policyId: string;
  permissions: string[];
  durationMinutes: string;
  startAt: string;
  justification: string;
  ticket: string;
  onBehalfOfEmail: string;
};
export type TRequestFormState = {
  message: string;
  fields: Record<string, string>;
  existing?: string;
  values: TRequestFormValues;
} | null;

const text = (form: FormData, name: string): string | undefined => {
  const value = form.get(name);
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
};

/** Sent back on a refusal so the form shows what the person typed (React resets it). */
const valuesOf = (form: FormData | null): TRequestFormValues => ({
  policyId: (form && text(form, "policyId")) ?? "",
  permissions: form ? form.getAll("permissions").filter((value): value is string => typeof value === "string") : [],
  durationMinutes: (form && text(form, "durationMinutes")) ?? "",
  startAt: (form && text(form, "startAt")) ?? "",
  justification: (form && text(form, "justification")) ?? "",
  ticket: (form && text(form, "ticket")) ?? "",
  onBehalfOfEmail: (form && text(form, "onBehalfOfEmail")) ?? "",
});

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const requestAccessAction = formAction<TRequestFormState>(
  ({ message, fields }, form) => ({ message, fields, existing: fields.existing, values: valuesOf(form) }),
  async (form) => {
    const actor = await requireActor();
    // datetime-local carries no zone: the browser sends its offset alongside.
    const startAt = instantFromLocal(text(form, "startAt"), Number(text(form, "tzOffsetMinutes") ?? "0"));
    const { requestId } = await requestAccess({
      actor,
      input: {
        policyId: text(form, "policyId") ?? "",
        permissions: form.getAll("permissions").filter((value): value is string => typeof value === "string"),
        durationMinutes: Number(text(form, "durationMinutes") ?? "NaN"),
        startAt,
        justification: text(form, "justification") ?? "",
        ticket: text(form, "ticket"),
        onBehalfOfEmail: text(form, "onBehalfOfEmail")?.trim() || undefined,
      },
      context: await requestContext(),
    });
    // redirect() works by throwing; the guard lets it through.
    redirect(`/requests/${requestId}`);
  },
);
