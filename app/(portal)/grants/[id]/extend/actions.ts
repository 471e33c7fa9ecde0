"use server";

import { redirect } from "next/navigation";
import { requestExtension } from "@/lib/access";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { isAppError } from "@/lib/errors";

export type TExtendFormState = { message: string; fields: Record<string, string>; existing?: string; values: { minutes: string; justification: string } } | null;

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const requestExtensionAction = async (_previous: TExtendFormState, form: FormData): Promise<TExtendFormState> => {
  const values = { minutes: text(form, "minutes"), justification: text(form, "justification") };
  let requestId: string;
  try {
    const result = await requestExtension({
      actor: await requireActor(),
      input: { grantId: text(form, "grantId"), minutes: Number(values.minutes || "NaN"), justification: values.justification },
      context: await requestContext(),
    });
    requestId = result.requestId;
  } catch (error) {
    if (isAppError(error)) return { message: error.message, fields: error.fields, existing: error.fields.existing, values };
    throw error;
  }
  redirect(`/requests/${requestId}`);
};
