"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { formAction } from "@/lib/security/server-action-guard";
import { createEndpoint, disableEndpoint } from "@/lib/webhooks";
import { formRefusal } from "../../form-data";
import type { TWebhookFormResult } from "./form-result";

// Every export of a "use server" module is a public endpoint: each one authenticates, and
// the domain function it calls authorizes (catalog.manage) and validates.

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, 2000) : "";
};

export const createEndpointAction = formAction<TWebhookFormResult | null>(formRefusal, async (form) => {
  const actor = await requireActor();
  const resourceKey = text(form, "resourceKey");
  const events = form.getAll("events").filter((value): value is string => typeof value === "string");
  const { secret } = await createEndpoint({
    actor,
    resourceKey,
    url: text(form, "url"),
    events,
    context: await requestContext(),
  });
  revalidatePath(`/admin/resources/${encodeURIComponent(resourceKey)}/webhooks`);
  return { ok: true, message: "Endpoint added.", secret };
});

export const disableEndpointAction = formAction<TWebhookFormResult | null>(formRefusal, async (form) => {
  const actor = await requireActor();
  const resourceKey = text(form, "resourceKey");
  const { disabled } = await disableEndpoint({
    actor,
    resourceKey,
    endpointId: text(form, "endpointId"),
    context: await requestContext(),
  });
  revalidatePath(`/admin/resources/${encodeURIComponent(resourceKey)}/webhooks`);
  return { ok: true, message: disabled ? "Endpoint disabled." : "Already disabled." };
});
