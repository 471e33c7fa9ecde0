"use client";

import Link from "next/link";
import { useActionState, useState } from "react";
import { FieldError, fieldAria, inputClass } from "@/app/components/field";
import { startReviewAction, type TReviewFormState } from "./actions";

/** Start an access review campaign over chosen policies (ADR 0058). */
export const ReviewForm = ({
  policies,
  defaultUsageDays,
  maxDays,
}: {
  policies: Array<{ id: string; label: string }>;
  defaultUsageDays: number;
  maxDays: number;
}) => {
  const [state, formAction, pending] = useActionState<TReviewFormState, FormData>(startReviewAction, null);
  const [tzOffset] = useState(() => (typeof window === "undefined" ? 0 : new Date().getTimezoneOffset()));
  const refused = state && !state.ok ? state : null;
  const errors = refused?.fields ?? {};
  const { invalid, describedBy } = fieldAria(errors);
  const chosen = new Set(refused?.values.policyIds ?? []);
  return (
    <form action={formAction} className="max-w-2xl space-y-4" noValidate aria-label="Start a review">
      {refused ? (
        <div role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
          {refused.message}
        </div>
      ) : null}
      {state?.ok ? (
        <div role="status" className="rounded-md bg-green-50 p-3 text-green-900">
          Review started with {state.items} {state.items === 1 ? "person" : "people"} to review; the reviewers have been
          told.{" "}
          <Link href={`/reviews/${state.reviewId}`} className="font-medium underline">
            Open it
          </Link>
        </div>
      ) : null}
      <input type="hidden" name="tzOffsetMinutes" value={tzOffset} suppressHydrationWarning />
      <div>
        <label htmlFor="review-name" className="font-medium">
          Name
        </label>
        <input
          id="review-name"
          name="name"
          required
          defaultValue={refused?.values.name}
          aria-invalid={invalid("name")}
          aria-describedby={describedBy("name")}
          className={inputClass}
        />
        <FieldError id="name-error" message={errors.name} />
      </div>
      <fieldset aria-invalid={invalid("policyIds")} aria-describedby={describedBy("policyIds")}>
        <legend className="font-medium">Policies to review</legend>
        <div className="mt-1 grid max-h-60 gap-1 overflow-y-auto rounded-md border border-slate-200 p-2 sm:grid-cols-2">
          {policies.map((policy) => (
            <label key={policy.id} className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="policyIds" value={policy.id} defaultChecked={chosen.has(policy.id)} />
              {policy.label}
            </label>
          ))}
        </div>
        <FieldError id="policyIds-error" message={errors.policyIds} />
      </fieldset>
      <div>
        <label htmlFor="reviewerEmails" className="font-medium">
          Reviewers&apos; e-mails
        </label>
        <textarea
          id="reviewerEmails"
          name="reviewerEmails"
          rows={2}
          required
          defaultValue={refused?.values.reviewerEmails}
          aria-invalid={invalid("reviewerEmails")}
          aria-describedby={describedBy("reviewerEmails", "reviewers-hint")}
          className={inputClass}
        />
        <p id="reviewers-hint" className="mt-1 text-sm text-slate-600">
          People who have signed in to the portal, separated by commas or lines. Nobody reviews their own access: a
          reviewer who is eligible needs a second reviewer.
        </p>
        <FieldError id="reviewerEmails-error" message={errors.reviewerEmails} />
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <div>
          <label htmlFor="deadline" className="font-medium">
            Deadline
          </label>
          <input
            id="deadline"
            name="deadline"
            type="datetime-local"
            required
            defaultValue={refused?.values.deadline}
            aria-invalid={invalid("deadline")}
            aria-describedby={describedBy("deadline", "deadline-hint")}
            className={inputClass}
          />
          <p id="deadline-hint" className="mt-1 text-sm text-slate-600">
            At most {maxDays} days ahead. The review closes by itself then; reviewers are reminded a day before.
          </p>
          <FieldError id="deadline-error" message={errors.deadline} />
        </div>
        <div>
          <label htmlFor="usageDays" className="font-medium">
            Usage period (days)
          </label>
          <input
            id="usageDays"
            name="usageDays"
            type="number"
            min={1}
            defaultValue={refused?.values.usageDays ?? String(defaultUsageDays)}
            aria-invalid={invalid("usageDays")}
            aria-describedby={describedBy("usageDays", "usage-hint")}
            className={inputClass}
          />
          <p id="usage-hint" className="mt-1 text-sm text-slate-600">
            Grants started in this many days before the start count as use.
          </p>
          <FieldError id="usageDays-error" message={errors.usageDays} />
        </div>
      </div>
      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white disabled:opacity-50"
      >
        Start the review
      </button>
    </form>
  );
};
