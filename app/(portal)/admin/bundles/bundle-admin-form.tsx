"use client";

import { useActionState } from "react";
import { FieldError, fieldAria, inputClass } from "@/app/components/field";
import { saveBundleAction, type TBundleFormState, type TBundleFormValues } from "./actions";

/** Create a bundle (no `id`) or edit one: its name, description and items, one per line. */
export const BundleAdminForm = ({
  id,
  initial,
  itemFormat,
}: {
  id?: string;
  initial: TBundleFormValues;
  itemFormat: string;
}) => {
  const [state, formAction, pending] = useActionState<TBundleFormState, FormData>(saveBundleAction, null);
  const refused = state && !state.ok ? state : null;
  const values = refused?.values ?? initial;
  const errors = refused?.fields ?? {};
  const { invalid } = fieldAria(errors);
  // Ids unique on the page: one form per bundle, plus the new one.
  const key = (name: string) => `${id ?? "new"}-${name}`;
  const label = id ? `Edit bundle ${initial.name}` : "New bundle";
  return (
    <form action={formAction} className="max-w-2xl space-y-3" noValidate aria-label={label}>
      {refused ? (
        <div role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
          {refused.message}
        </div>
      ) : null}
      {state?.ok ? (
        <div role="status" className="rounded-md bg-green-50 p-3 text-green-900">
          Bundle saved.
        </div>
      ) : null}
      {id ? <input type="hidden" name="id" value={id} /> : null}
      <div>
        <label htmlFor={key("name")} className="font-medium">
          Name
        </label>
        <input
          id={key("name")}
          name="name"
          required
          defaultValue={values.name}
          aria-invalid={invalid("name")}
          aria-describedby={errors.name ? `${key("name")}-error` : undefined}
          className={inputClass}
        />
        <FieldError id={`${key("name")}-error`} message={errors.name} />
      </div>
      <div>
        <label htmlFor={key("description")} className="font-medium">
          Description
        </label>
        <input
          id={key("description")}
          name="description"
          defaultValue={values.description}
          aria-invalid={invalid("description")}
          aria-describedby={errors.description ? `${key("description")}-error` : undefined}
          className={inputClass}
        />
        <FieldError id={`${key("description")}-error`} message={errors.description} />
      </div>
      <div>
        <label htmlFor={key("items")} className="font-medium">
          Items
        </label>
        <textarea
          id={key("items")}
          name="items"
          rows={4}
          required
          defaultValue={values.items}
          aria-invalid={invalid("items")}
          aria-describedby={[`${key("items")}-hint`, errors.items ? `${key("items")}-error` : ""].join(" ").trim()}
          className={`${inputClass} font-mono text-sm`}
        />
        <p id={`${key("items")}-hint`} className="mt-1 text-sm text-slate-600">
          One per line: <code>{itemFormat}</code>, e.g. <code>prod-postgres read read</code>. At most 10; each follows
          its own policy.
        </p>
        <FieldError id={`${key("items")}-error`} message={errors.items} />
      </div>
      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white disabled:opacity-50"
      >
        {id ? "Save bundle" : "Create bundle"}
      </button>
    </form>
  );
};
