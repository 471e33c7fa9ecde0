"use client";

import { useActionState } from "react";
import { archiveResourceAction, deletePolicyAction } from "./actions";
import type { TFormResult } from "./form-data";
import { FormMessage, SubmitButton } from "./form-fields";

const ACTIONS = { archiveResource: archiveResourceAction, deletePolicy: deletePolicyAction };

/** One button for an irreversible change, asking for confirmation first. */
export const ConfirmForm = ({
  action,
  hidden,
  label,
  accessibleLabel,
  confirmation,
}: {
  action: keyof typeof ACTIONS;
  hidden: Record<string, string>;
  label: string;
  accessibleLabel: string;
  confirmation: string;
}) => {
  const [result, formAction, pending] = useActionState<TFormResult | null, FormData>(ACTIONS[action], null);
  return (
    <form
      action={formAction}
      onSubmit={(event) => {
        if (!window.confirm(confirmation)) event.preventDefault();
      }}
      className="flex flex-wrap items-center gap-2"
      aria-label={accessibleLabel}
    >
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <SubmitButton pending={pending} tone="danger">
        <span aria-hidden="true">{label}</span>
        <span className="sr-only">{accessibleLabel}</span>
      </SubmitButton>
      <FormMessage result={result} />
    </form>
  );
};
