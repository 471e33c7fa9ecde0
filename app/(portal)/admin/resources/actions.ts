"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import type { TUserActor } from "@/lib/authz";
import type { TAuditContext } from "@/lib/authz/enforce";
import {
  archiveResource,
  createPolicy,
  createResource,
  deletePolicy,
  updatePolicy,
  updateResource,
} from "@/lib/catalog";
import { formAction } from "@/lib/security/server-action-guard";
import { formRefusal, policyFromForm, resourceFromForm, type TFormResult } from "./form-data";

// Every export of a "use server" module is a public endpoint: each one authenticates, and
// the domain function it calls authorizes (catalog.manage) and validates.

const id = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, 200) : "";
};

/** Authenticates, runs the change, revalidates; refusals go back with the form's values. */
const run = (change: (actor: TUserActor, context: TAuditContext, form: FormData) => Promise<string>) =>
  formAction<TFormResult | null>(formRefusal, async (form) => {
    const actor = await requireActor();
    const message = await change(actor, await requestContext(), form);
    revalidatePath("/admin/resources", "layout");
    return { ok: true, message };
  });

export const createResourceAction = formAction<TFormResult | null>(formRefusal, async (form) => {
  const input = resourceFromForm(form);
  const actor = await requireActor();
  await createResource({ actor, input, context: await requestContext() });
  revalidatePath("/admin/resources", "layout");
  // redirect() works by throwing; the guard lets it through.
  redirect(`/admin/resources/${encodeURIComponent(input.key)}`);
});

export const updateResourceAction = run(async (actor, context, form) => {
  const { key: _key, ...input } = resourceFromForm(form);
  const { changed } = await updateResource({ actor, key: id(form, "resourceKey"), input, context });
  return changed ? "Resource saved." : "Nothing changed.";
});

export const archiveResourceAction = run(async (actor, context, form) => {
  const { archived } = await archiveResource({ actor, key: id(form, "resourceKey"), context });
  return archived ? "Resource archived: it can no longer be requested." : "Already archived.";
});

export const createPolicyAction = run(async (actor, context, form) => {
  await createPolicy({ actor, resourceKey: id(form, "resourceKey"), input: policyFromForm(form), context });
  return "Policy added.";
});

export const updatePolicyAction = run(async (actor, context, form) => {
  const { changed } = await updatePolicy({
    actor,
    policyId: id(form, "policyId"),
    input: policyFromForm(form),
    context,
  });
  return changed ? "Policy saved." : "Nothing changed.";
});

export const deletePolicyAction = run(async (actor, context, form) => {
  const { name } = await deletePolicy({ actor, policyId: id(form, "policyId"), context });
  return `Policy "${name}" deleted.`;
});
