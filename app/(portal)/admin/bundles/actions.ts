"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { deleteBundle, saveBundle } from "@/lib/catalog";
import { dataAction, formAction, type TRefusal } from "@/lib/security/server-action-guard";

export type TBundleFormValues = { name: string; description: string; items: string };
export type TBundleFormState =
  | { ok: true; id: string }
  | { ok: false; message: string; fields: Record<string, string>; values: TBundleFormValues }
  | null;

const text = (form: FormData | null, name: string): string => {
  const value = form?.get(name);
  return typeof value === "string" ? value : "";
};

const valuesOf = (form: FormData | null): TBundleFormValues => ({
  name: text(form, "name"),
  description: text(form, "description"),
  items: text(form, "items"),
});

/** Every export of a "use server" module is a public endpoint: these two are the only ones here. */
export const saveBundleAction = formAction<TBundleFormState>(
  ({ message, fields }, form) => ({ ok: false, message, fields, values: valuesOf(form) }),
  async (form) => {
    const id = text(form, "id").trim();
    const saved = await saveBundle({
      actor: await requireActor(),
      input: { ...valuesOf(form), ...(id ? { id } : {}) },
      context: await requestContext(),
    });
    revalidatePath("/admin/bundles");
    return { ok: true, id: saved.id };
  },
);

export const deleteBundleAction = dataAction(
  ({ message }: TRefusal) => ({ ok: false as const, message }),
  async (id: unknown): Promise<{ ok: true } | { ok: false; message: string }> => {
    if (typeof id !== "string") return { ok: false, message: "No such bundle." };
    await deleteBundle({ actor: await requireActor(), id, context: await requestContext() });
    revalidatePath("/admin/bundles");
    return { ok: true };
  },
);
