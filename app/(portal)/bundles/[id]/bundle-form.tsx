"use client";

import Link from "next/link";
import { useActionState } from "react";
import type { TRequestableBundle } from "@/lib/bundles";
import { requestBundleAction, type TBundleFormState } from "./actions";
import { FieldError, fieldAria, inputClass } from "@/app/components/field";

/** One justification, one duration and one ticket for every item; each item's policy checks them. */
export const BundleForm = ({ bundle }: { bundle: TRequestableBundle }) => {
  const [state, formAction, pending] = useActionState<TBundleFormState, FormData>(requestBundleAction, null);
  const errors = state?.fields ?? {};
  const { invalid, describedBy } = fieldAria(errors);
  return (
    <form action={formAction} className="max-w-2xl space-y-6" noValidate>
      {state?.message ? (
        <div role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
          {state.message}{" "}
          {state.existing ? (
            <Link href={`/requests/${state.existing}`} className="underline">
              See the existing request
            </Link>
          ) : null}
        </div>
      ) : null}
      <input type="hidden" name="bundleId" value={bundle.id} />
      <div>
        <label htmlFor="durationMinutes" className="block font-medium">
          Duration (minutes, at most {bundle.maxDurationMinutes})
        </label>
        <input
          id="durationMinutes"
          name="durationMinutes"
          type="number"
          min={5}
          max={bundle.maxDurationMinutes}
          defaultValue={state?.values.durationMinutes || bundle.defaultDurationMinutes}
          aria-invalid={invalid("durationMinutes")}
          aria-describedby={describedBy("durationMinutes")}
          className={inputClass}
        />
        <FieldError id="durationMinutes-error" message={errors.durationMinutes} />
      </div>
      <div>
        <label htmlFor="justification" className="block font-medium">
          Justification (at least {bundle.minJustificationLength} characters)
        </label>
        <textarea
          id="justification"
          name="justification"
          rows={3}
          defaultValue={state?.values.justification}
          aria-invalid={invalid("justification")}
          aria-describedby={describedBy("justification")}
          className={inputClass}
        />
        <FieldError id="justification-error" message={errors.justification} />
      </div>
      <div>
        <label htmlFor="ticket" className="block font-medium">
          Ticket{bundle.ticketRequired ? " (required)" : " (optional)"}
        </label>
        <input
          id="ticket"
          name="ticket"
          defaultValue={state?.values.ticket}
          aria-invalid={invalid("ticket")}
          aria-describedby={describedBy("ticket")}
          className={inputClass}
        />
        <FieldError id="ticket-error" message={errors.ticket} />
      </div>
      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700 disabled:opacity-60"
      >
        {pending ? "Submitting…" : `Request all ${bundle.items.length} items`}
      </button>
    </form>
  );
};
