"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { formAction, type TRefusal } from "@/lib/security/server-action-guard";
import { createServiceClient, disableServiceClient, rotateServiceClientSecret, type TScope } from "@/lib/services";
import { submittedValues } from "../resources/form-data";

// Every export of a "use server" module is a public endpoint: each one authenticates, and
// the domain function it calls authorizes (services.manage) and validates.

export type TServiceFormResult =
  | { ok: true; message: string; clientId?: string; secret?: string }
  | { ok: false; message: string; fields: Record<string, string>; values: Record<string, string[]> };

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, 2000) : "";
};

const refusal = (refused: TRefusal, form: FormData | null): TServiceFormResult => {
  const values = form ? submittedValues(form) : {};
  const fields = Object.fromEntries(
    Object.entries(refused.fields).map(([path, message]) => [path.split(".")[0] ?? path, message]),
  );
  return { ok: false, message: refused.message, fields, values };
};

export const createServiceClientAction = formAction<TServiceFormResult | null>(refusal, async (form) => {
  const actor = await requireActor();
  const created = await createServiceClient({
    actor,
    input: {
      name: text(form, "name"),
      ownerEmail: text(form, "ownerEmail").trim() || undefined,
      scopes: form.getAll("scopes").filter((value): value is string => typeof value === "string") as TScope[],
      resourceKeys: text(form, "resourceKeys")
        .split(",")
        .map((key) => key.trim())
        .filter(Boolean),
    },
    context: await requestContext(),
  });
  revalidatePath("/admin/services");
  return {
    ok: true,
    message: `Service client ${created.name} created.`,
    clientId: created.clientId,
    secret: created.clientSecret,
  };
});

export const rotateServiceClientAction = formAction<TServiceFormResult | null>(refusal, async (form) => {
  const actor = await requireActor();
  const rotated = await rotateServiceClientSecret({
    actor,
    client: text(form, "clientId"),
    context: await requestContext(),
  });
  revalidatePath("/admin/services");
  return {
    ok: true,
    message: `New secret for ${rotated.name}; the previous one works until ${rotated.previousSecretsRetireAt.toISOString()}.`,
    clientId: rotated.clientId,
    secret: rotated.clientSecret,
  };
});

export const disableServiceClientAction = formAction<TServiceFormResult | null>(refusal, async (form) => {
  const actor = await requireActor();
  const disabled = await disableServiceClient({
    actor,
    client: text(form, "clientId"),
    context: await requestContext(),
  });
  revalidatePath("/admin/services");
  return { ok: true, message: `${disabled.name} disabled: its tokens stop working now.` };
});
