"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import type { TUserActor } from "@/lib/authz";
import type { TAuditContext } from "@/lib/authz/enforce";
import { archiveResource, createPolicy, createResource, deletePolicy, updatePolicy, updateResource } from "@/lib/catalog";
import { isAppError } from "@/lib/errors";
import { formFields, policyFromForm, resourceFromForm, submittedValues, type TFormResult } from "./form-data";

// Every export of a "use server" module is a public endpoint: each one authenticates, and
// the domain function it calls authorizes (catalog.manage) and validates.

const id = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, 200) : "";
};

const run = async (form: FormData, change: (actor: TUserActor, context: TAuditContext) => Promise<string>): Promise<TFormResult> => {
  try {
    const actor = await requireActor();
    const message = await change(actor, await requestContext());
    revalidatePath("/admin/resources", "layout");
    return { ok: true, message };
  } catch (error) {
    if (isAppError(error)) return { ok: false, message: error.message, fields: formFields(error.fields), values: submittedValues(form) };
    throw error;
  }
};

export const createResourceAction = async (_previous: TFormResult | null, form: FormData): Promise<TFormResult> => {
  const input = resourceFromForm(form);
  const result = await run(form, async (actor, context) => {
    await createResource({ actor, input, context });
    return "Resource created.";
  });
  // Outside `run`: redirect() works by throwing.
  if (result.ok) redirect(`/admin/resources/${encodeURIComponent(input.key)}`);
  return result;
};

export const updateResourceAction = async (_previous: TFormResult | null, form: FormData): Promise<TFormResult> =>
  run(form, async (actor, context) => {
    const { key: _key, ...input } = resourceFromForm(form);
    const { changed } = await updateResource({ actor, key: id(form, "resourceKey"), input, context });
    return changed ? "Resource saved." : "Nothing changed.";
  });

export const archiveResourceAction = async (_previous: TFormResult | null, form: FormData): Promise<TFormResult> =>
  run(form, async (actor, context) => {
    const { archived } = await archiveResource({ actor, key: id(form, "resourceKey"), context });
    return archived ? "Resource archived: it can no longer be requested." : "Already archived.";
  });

export const createPolicyAction = async (_previous: TFormResult | null, form: FormData): Promise<TFormResult> =>
  run(form, async (actor, context) => {
    await createPolicy({ actor, resourceKey: id(form, "resourceKey"), input: policyFromForm(form), context });
    return "Policy added.";
  });

export const updatePolicyAction = async (_previous: TFormResult | null, form: FormData): Promise<TFormResult> =>
  run(form, async (actor, context) => {
    const { changed } = await updatePolicy({ actor, policyId: id(form, "policyId"), input: policyFromForm(form), context });
    return changed ? "Policy saved." : "Nothing changed.";
  });

export const deletePolicyAction = async (_previous: TFormResult | null, form: FormData): Promise<TFormResult> =>
  run(form, async (actor, context) => {
    const { name } = await deletePolicy({ actor, policyId: id(form, "policyId"), context });
    return `Policy "${name}" deleted.`;
  });
