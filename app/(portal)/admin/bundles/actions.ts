"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { deleteBundle, saveBundle } from "@/lib/catalog";
import { dataAction, formAction, type TRefusal } from "@/lib/security/server-action-guard";
import { formRefusal, type TFormResult } from "../resources/form-data";

// Every export of a "use server" module is a public endpoint: these two are the only ones
// here. Each authenticates; the domain function authorizes (catalog.manage) and validates.

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

/** Creates a bundle (no `id`) or saves one; refusals go back with what was typed. */
export const saveBundleAction = formAction<TFormResult | null>(formRefusal, async (form) => {
  const id = text(form, "id").trim();
  await saveBundle({
    actor: await requireActor(),
    input: {
      name: text(form, "name"),
      description: text(form, "description"),
      items: text(form, "items"),
      ...(id ? { id } : {}),
    },
    context: await requestContext(),
  });
  revalidatePath("/admin/bundles");
  return { ok: true, message: "Bundle saved." };
});

export const deleteBundleAction = dataAction(
  ({ message }: TRefusal) => ({ ok: false as const, message }),
  async (id: unknown): Promise<{ ok: true } | { ok: false; message: string }> => {
    if (typeof id !== "string") return { ok: false, message: "No such bundle." };
    await deleteBundle({ actor: await requireActor(), id, context: await requestContext() });
    revalidatePath("/admin/bundles");
    return { ok: true };
  },
);
