"use client";

import { useActionState, useId } from "react";
import type { TFormResult } from "../resources/form-data";
import { FormMessage, formState, SubmitButton, TextField } from "../resources/form-fields";
import { saveBundleAction } from "./actions";

export type TBundleAdminValues = { name: string; description: string; items: string };

/** Create a bundle (no `id`) or edit one: its name, description and items, one per line. */
export const BundleAdminForm = ({
  id,
  initial,
  itemFormat,
}: {
  id?: string;
  initial: TBundleAdminValues;
  itemFormat: string;
}) => {
  const [result, formAction, pending] = useActionState<TFormResult | null, FormData>(saveBundleAction, null);
  const state = formState(result);
  // Ids unique on the page: one form per bundle, plus the new one.
  const prefix = useId();
  const field = (name: keyof TBundleAdminValues) => ({
    id: `${prefix}-${name}`,
    name,
    defaultValue: state.text(name, initial[name]),
    error: state.error(name),
  });
  return (
    <form
      action={formAction}
      className="grid max-w-2xl gap-4"
      noValidate
      aria-label={id ? `Edit bundle ${initial.name}` : "New bundle"}
    >
      {id ? <input type="hidden" name="id" value={id} /> : null}
      <TextField {...field("name")} label="Name" required />
      <TextField {...field("description")} label="Description" />
      <TextField
        {...field("items")}
        label="Items"
        required
        multiline
        rows={4}
        hint={`One per line: ${itemFormat}, e.g. "prod-postgres read read": the resource key first, the permission last, the policy's name (spaces allowed) between them. At most 10; each follows its own policy.`}
      />
      <div className="flex flex-wrap items-center gap-3">
        <SubmitButton pending={pending}>{id ? "Save bundle" : "Create bundle"}</SubmitButton>
        <FormMessage result={result} />
      </div>
    </form>
  );
};
