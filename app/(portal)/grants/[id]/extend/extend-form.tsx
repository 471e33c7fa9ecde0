"use client";

import Link from "next/link";
import { useActionState } from "react";
import { requestExtensionAction, type TExtendFormState } from "./actions";
import { inputClass } from "@/app/components/field";

export const ExtendForm = ({
  grantId,
  headroom,
  minJustification,
}: {
  grantId: string;
  headroom: number;
  minJustification: number;
}) => {
  const [state, formAction, pending] = useActionState<TExtendFormState, FormData>(requestExtensionAction, null);
  const errors = state?.fields ?? {};
  return (
    <form action={formAction} className="max-w-xl space-y-6" noValidate>
      {state?.message ? (
        <div role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
          {state.message}{" "}
          {state.existing ? (
            <Link href={`/requests/${state.existing}`} className="underline">
              See the waiting extension
            </Link>
          ) : null}
        </div>
      ) : null}
      <input type="hidden" name="grantId" value={grantId} />
      <div>
        <label htmlFor="minutes" className="font-medium">
          More minutes
        </label>
        <input
          id="minutes"
          name="minutes"
          type="number"
          min={5}
          max={headroom}
          step={5}
          defaultValue={state?.values.minutes || Math.min(30, headroom)}
          aria-invalid={errors.minutes ? true : undefined}
          aria-describedby="minutes-hint"
          className={inputClass}
        />
        <p id="minutes-hint" className="mt-1 text-sm text-slate-600">
          At most {headroom} more minutes under this policy.
        </p>
        {errors.minutes ? <p className="mt-1 text-sm text-red-700">{errors.minutes}</p> : null}
      </div>
      <div>
        <label htmlFor="justification" className="font-medium">
          Justification
        </label>
        <textarea
          id="justification"
          name="justification"
          rows={3}
          defaultValue={state?.values.justification}
          aria-invalid={errors.justification ? true : undefined}
          aria-describedby="justification-hint"
          className={inputClass}
        />
        <p id="justification-hint" className="mt-1 text-sm text-slate-600">
          Why you need more time{minJustification > 0 ? `, at least ${minJustification} characters` : ""}.
        </p>
        {errors.justification ? <p className="mt-1 text-sm text-red-700">{errors.justification}</p> : null}
      </div>
      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-slate-900 px-4 py-2.5 font-medium text-white hover:bg-slate-700 disabled:opacity-60"
      >
        {pending ? "Submitting…" : "Ask for more time"}
      </button>
    </form>
  );
};
