"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { isAppError } from "@/lib/errors";
import { createEndpoint, disableEndpoint } from "@/lib/webhooks";
import { formFields, submittedValues } from "../../form-data";
import type { TWebhookFormResult } from "./form-result";

// Every export of a "use server" module is a public endpoint: each one authenticates, and
// the domain function it calls authorizes (catalog.manage) and validates.

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, 2000) : "";
};

const refused = (error: unknown, form: FormData): TWebhookFormResult => {
  if (isAppError(error)) return { ok: false, message: error.message, fields: formFields(error.fields), values: submittedValues(form) };
  throw error;
};

export const createEndpointAction = async (_previous: TWebhookFormResult | null, form: FormData): Promise<TWebhookFormResult> => {
  try {
    const actor = await requireActor();
    const resourceKey = text(form, "resourceKey");
    const events = form.getAll("events").filter((value): value is string => typeof value === "string");
    const { secret } = await createEndpoint({ actor, resourceKey, url: text(form, "url"), events, context: await requestContext() });
    revalidatePath(`/admin/resources/${encodeURIComponent(resourceKey)}/webhooks`);
    return { ok: true, message: "Endpoint added.", secret };
  } catch (error) {
    return refused(error, form);
  }
};

export const disableEndpointAction = async (_previous: TWebhookFormResult | null, form: FormData): Promise<TWebhookFormResult> => {
  try {
    const actor = await requireActor();
    const resourceKey = text(form, "resourceKey");
    const { disabled } = await disableEndpoint({ actor, resourceKey, endpointId: text(form, "endpointId"), context: await requestContext() });
    revalidatePath(`/admin/resources/${encodeURIComponent(resourceKey)}/webhooks`);
    return { ok: true, message: disabled ? "Endpoint disabled." : "Already disabled." };
  } catch (error) {
    return refused(error, form);
  }
};
