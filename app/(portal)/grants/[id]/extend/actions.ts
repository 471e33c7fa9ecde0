"use server";

import { redirect } from "next/navigation";
import { requestExtension } from "@/lib/access";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { formAction } from "@/lib/security/server-action-guard";

export type TExtendFormState = {
  message: string;
  fields: Record<string, string>;
  existing?: string;
  values: { minutes: string; justification: string };
} | null;

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

const valuesOf = (form: FormData | null) => ({
  minutes: form ? text(form, "minutes") : "",
  justification: form ? text(form, "justification") : "",
});

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const requestExtensionAction = formAction<TExtendFormState>(
  ({ message, fields }, form) => ({ message, fields, existing: fields.existing, values: valuesOf(form) }),
  async (form) => {
    const values = valuesOf(form);
    const { requestId } = await requestExtension({
      actor: await requireActor(),
      input: {
        grantId: text(form, "grantId"),
        minutes: Number(values.minutes || "NaN"),
        justification: values.justification,
      },
      context: await requestContext(),
    });
    // redirect() works by throwing; the guard lets it through.
    redirect(`/requests/${requestId}`);
  },
);
