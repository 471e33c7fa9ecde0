"use client";

import { useActionState, useState } from "react";
import { createDelegationAction, type TDelegationFormState } from "./actions";
import { FieldError, fieldAria, inputClass } from "@/app/components/field";

/** Hand one's approvals to another approver for a period (out of office, on leave). */
export const DelegationForm = ({ maxDays }: { maxDays: number }) => {
  const [state, formAction, pending] = useActionState<TDelegationFormState, FormData>(createDelegationAction, null);
  // The browser's zone turns the datetime-local values into instants on the server.
  const [tzOffset] = useState(() => (typeof window === "undefined" ? 0 : new Date().getTimezoneOffset()));
  const refused = state && !state.ok ? state : null;
  const errors = refused?.fields ?? {};
  const { invalid, describedBy } = fieldAria(errors);
  return (
    <form action={formAction} className="max-w-xl space-y-4" noValidate aria-label="Delegate my approvals">
      {refused ? (
        <div role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
          {refused.message}
        </div>
      ) : null}
      {state?.ok ? (
        <div role="status" className="rounded-md bg-green-50 p-3 text-green-900">
          Delegation saved. Your delegate has been told.
        </div>
      ) : null}
      <input type="hidden" name="tzOffsetMinutes" value={tzOffset} suppressHydrationWarning />
      <div>
        <label htmlFor="delegateEmail" className="font-medium">
          Delegate&apos;s e-mail
        </label>
        <input
          id="delegateEmail"
          name="delegateEmail"
          type="email"
          autoComplete="off"
          required
          defaultValue={refused?.values.delegateEmail}
          aria-invalid={invalid("delegateEmail")}
          aria-describedby={describedBy("delegateEmail", "delegate-hint")}
          className={inputClass}
        />
        <p id="delegate-hint" className="mt-1 text-sm text-slate-600">
          Another approver who has signed in to the portal.
        </p>
        <FieldError id="delegateEmail-error" message={errors.delegateEmail} />
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <div>
          <label htmlFor="startsAt" className="font-medium">
            From (optional)
          </label>
          <input
            id="startsAt"
            name="startsAt"
            type="datetime-local"
            defaultValue={refused?.values.startsAt}
            aria-invalid={invalid("startsAt")}
            aria-describedby={describedBy("startsAt", "starts-hint")}
            className={inputClass}
          />
          <p id="starts-hint" className="mt-1 text-sm text-slate-600">
            Empty: from now.
          </p>
          <FieldError id="startsAt-error" message={errors.startsAt} />
        </div>
        <div>
          <label htmlFor="endsAt" className="font-medium">
            Until
          </label>
          <input
            id="endsAt"
            name="endsAt"
            type="datetime-local"
            required
            defaultValue={refused?.values.endsAt}
            aria-invalid={invalid("endsAt")}
            aria-describedby={describedBy("endsAt", "ends-hint")}
            className={inputClass}
          />
          <p id="ends-hint" className="mt-1 text-sm text-slate-600">
            At most {maxDays} days after the start.
          </p>
          <FieldError id="endsAt-error" message={errors.endsAt} />
        </div>
      </div>
      <div>
        <label htmlFor="reason" className="font-medium">
          Reason
        </label>
        <textarea
          id="reason"
          name="reason"
          rows={2}
          required
          defaultValue={refused?.values.reason}
          aria-invalid={invalid("reason")}
          aria-describedby={describedBy("reason")}
          className={inputClass}
        />
        <FieldError id="reason-error" message={errors.reason} />
      </div>
      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white disabled:opacity-50"
      >
        Delegate my approvals
      </button>
    </form>
  );
};
