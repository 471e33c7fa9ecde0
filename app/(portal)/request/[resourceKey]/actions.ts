"use server";

import { redirect } from "next/navigation";
import { requestAccess } from "@/lib/access";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { isAppError } from "@/lib/errors";

export type TRequestFormValues = { policyId: string; permissions: string[]; durationMinutes: string; startAt: string; justification: string; ticket: string };
export type TRequestFormState = { message: string; fields: Record<string, string>; existing?: string; values: TRequestFormValues } | null;

const text = (form: FormData, name: string): string | undefined => {
  const value = form.get(name);
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
};

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const requestAccessAction = async (_previous: TRequestFormState, form: FormData): Promise<TRequestFormState> => {
  // Sent back on a refusal so the form shows what the person typed (React resets it).
  const values: TRequestFormValues = {
    policyId: text(form, "policyId") ?? "",
    permissions: form.getAll("permissions").filter((value): value is string => typeof value === "string"),
    durationMinutes: text(form, "durationMinutes") ?? "",
    startAt: text(form, "startAt") ?? "",
    justification: text(form, "justification") ?? "",
    ticket: text(form, "ticket") ?? "",
  };
  let requestId: string;
  try {
    const actor = await requireActor();
    // datetime-local carries no zone: the browser sends its offset alongside.
    const localStart = text(form, "startAt");
    const offset = Number(text(form, "tzOffsetMinutes") ?? "0");
    const startAt = localStart ? new Date(new Date(`${localStart}:00Z`).getTime() + offset * 60_000).toISOString() : undefined;
    const result = await requestAccess({
      actor,
      input: {
        policyId: text(form, "policyId") ?? "",
        permissions: form.getAll("permissions").filter((value): value is string => typeof value === "string"),
        durationMinutes: Number(text(form, "durationMinutes") ?? "NaN"),
        startAt: startAt && !Number.isNaN(Date.parse(startAt)) ? startAt : localStart,
        justification: text(form, "justification") ?? "",
        ticket: text(form, "ticket"),
      },
      context: await requestContext(),
    });
    requestId = result.requestId;
  } catch (error) {
    if (isAppError(error)) return { message: error.message, fields: error.fields, existing: error.fields.existing, values };
    throw error;
  }
  redirect(`/requests/${requestId}`);
};
