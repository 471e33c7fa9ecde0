"use client";

import Link from "next/link";
import { useActionState, useState } from "react";
import type { TRequestableResource } from "@/lib/access";
import { requestAccessAction, type TRequestFormState } from "./actions";
import { FieldError, fieldAria, inputClass } from "@/app/components/field";

type TPolicy = TRequestableResource["policies"][number];

/** What a policy gives and what it takes: "write up to 120 min · 2 approvals · ticket required". */
const summary = (candidate: TPolicy) => (
  <>
    <span className="font-medium">{candidate.permissions.join(", ")}</span>{" "}
    <span className="text-sm text-slate-600">
      up to {candidate.maxDurationMinutes} min ·{" "}
      {candidate.autoApproved
        ? "approved automatically for you"
        : `${candidate.approvalsRequired} approval${candidate.approvalsRequired === 1 ? "" : "s"}`}
      {candidate.ticketRequired ? " · ticket required" : ""}
    </span>
  </>
);

export const RequestForm = ({ resource }: { resource: TRequestableResource }) => {
  const [state, formAction, pending] = useActionState<TRequestFormState, FormData>(requestAccessAction, null);
  const [policyId, setPolicyId] = useState(resource.policies[0]?.id ?? "");
  // What the person typed, back from a refused submission (React resets the form after it).
  const values = state?.values.policyId === policyId ? state.values : null;
  // The browser's zone turns the datetime-local value into an instant on the server.
  const [tzOffset] = useState(() => (typeof window === "undefined" ? 0 : new Date().getTimezoneOffset()));
  const policy: TPolicy | undefined = resource.policies.find((candidate) => candidate.id === policyId);
  const errors = state?.fields ?? {};
  const { invalid, describedBy } = fieldAria(errors);
  if (!policy) return null;

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
      <input type="hidden" name="policyId" value={policy.id} />
      <input type="hidden" name="tzOffsetMinutes" value={tzOffset} suppressHydrationWarning />

      {resource.policies.length === 1 ? (
        // One way to get this access: nothing to choose, only what it takes.
        <div data-testid="access-choice">
          <p className="font-medium">Access</p>
          <p className="mt-1">{summary(policy)}</p>
        </div>
      ) : (
        <fieldset>
          <legend className="font-medium">Access</legend>
          <div className="mt-2 space-y-2">
            {resource.policies.map((candidate) => (
              <label key={candidate.id} className="flex items-start gap-2">
                <input
                  type="radio"
                  name="policyChoice"
                  value={candidate.id}
                  checked={candidate.id === policyId}
                  onChange={() => setPolicyId(candidate.id)}
                  className="mt-1"
                />
                <span>{summary(candidate)}</span>
              </label>
            ))}
          </div>
        </fieldset>
      )}

      {policy.permissions.length === 1 ? (
        // A single permission is the request itself: no checkbox to tick.
        <p data-testid="single-permission">
          <input type="hidden" name="permissions" value={policy.permissions[0]} />
          <span className="font-medium">Permission:</span> {policy.permissions[0]}
        </p>
      ) : (
        <fieldset aria-describedby={describedBy("permissions")}>
          <legend className="font-medium">Permissions</legend>
          <div className="mt-2 flex flex-wrap gap-4">
            {policy.permissions.map((permission) => (
              <label key={`${policy.id}-${permission}`} className="flex items-center gap-2">
                <input
                  type="checkbox"
                  name="permissions"
                  value={permission}
                  defaultChecked={values?.permissions.includes(permission) ?? false}
                />
                {permission}
              </label>
            ))}
          </div>
          <FieldError id="permissions-error" message={errors.permissions} />
        </fieldset>
      )}

      <div>
        <label htmlFor="durationMinutes" className="font-medium">
          Duration (minutes)
        </label>
        <input
          key={`duration-${policy.id}`}
          id="durationMinutes"
          name="durationMinutes"
          type="number"
          min={5}
          max={policy.maxDurationMinutes}
          step={5}
          defaultValue={values?.durationMinutes || policy.defaultDurationMinutes}
          required
          aria-invalid={invalid("durationMinutes")}
          aria-describedby={describedBy("durationMinutes", "duration-hint")}
          className={inputClass}
        />
        <p id="duration-hint" className="mt-1 text-sm text-slate-600">
          At most {policy.maxDurationMinutes} minutes. The grant ends on its own.
        </p>
        <FieldError id="durationMinutes-error" message={errors.durationMinutes} />
      </div>

      <div>
        <label htmlFor="startAt" className="font-medium">
          Start (optional)
        </label>
        <input
          id="startAt"
          name="startAt"
          type="datetime-local"
          defaultValue={values?.startAt}
          aria-invalid={invalid("startAt")}
          aria-describedby={describedBy("startAt", "start-hint")}
          className={inputClass}
        />
        <p id="start-hint" className="mt-1 text-sm text-slate-600">
          Leave empty to start as soon as it is approved.
        </p>
        <FieldError id="startAt-error" message={errors.startAt} />
      </div>

      <div>
        <label htmlFor="justification" className="font-medium">
          Justification
        </label>
        <textarea
          id="justification"
          name="justification"
          rows={3}
          required
          defaultValue={values?.justification}
          minLength={policy.minJustificationLength}
          aria-invalid={invalid("justification")}
          aria-describedby={describedBy("justification", "justification-hint")}
          className={inputClass}
        />
        <p id="justification-hint" className="mt-1 text-sm text-slate-600">
          What you will do and why
          {policy.minJustificationLength > 0 ? `, at least ${policy.minJustificationLength} characters` : ""}.
        </p>
        <FieldError id="justification-error" message={errors.justification} />
      </div>

      {policy.ticketRequired || policy.ticketPattern ? (
        <div>
          <label htmlFor="ticket" className="font-medium">
            Ticket{policy.ticketRequired ? "" : " (optional)"}
          </label>
          <input
            id="ticket"
            name="ticket"
            type="text"
            defaultValue={values?.ticket}
            required={policy.ticketRequired}
            aria-invalid={invalid("ticket")}
            aria-describedby={describedBy("ticket", "ticket-hint")}
            className={inputClass}
          />
          {policy.ticketPattern ? (
            <p id="ticket-hint" className="mt-1 text-sm text-slate-600">
              Format: <code>{policy.ticketPattern}</code>
            </p>
          ) : null}
          <FieldError id="ticket-error" message={errors.ticket} />
        </div>
      ) : null}

      {policy.onBehalfOfAllowed ? (
        <div>
          <label htmlFor="onBehalfOfEmail" className="font-medium">
            For a teammate (optional)
          </label>
          <input
            id="onBehalfOfEmail"
            name="onBehalfOfEmail"
            type="email"
            autoComplete="off"
            defaultValue={values?.onBehalfOfEmail}
            aria-invalid={invalid("onBehalfOfEmail")}
            aria-describedby={describedBy("onBehalfOfEmail", "on-behalf-hint")}
            className={inputClass}
          />
          <p id="on-behalf-hint" className="mt-1 text-sm text-slate-600">
            Their e-mail address, to hand this access to someone else (the next on-call). The grant is theirs, and
            starts only once they acknowledge it. Empty: for you.
          </p>
          <FieldError id="onBehalfOfEmail-error" message={errors.onBehalfOfEmail} />
        </div>
      ) : null}

      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-slate-900 px-4 py-2.5 font-medium text-white hover:bg-slate-700 disabled:opacity-60"
      >
        {pending ? "Submitting…" : "Submit request"}
      </button>
    </form>
  );
};
