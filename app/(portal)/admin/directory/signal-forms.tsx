"use client";

import { useActionState, useId } from "react";
import { FormMessage, formState, SubmitButton, TextField } from "../resources/form-fields";
import { createSignalTransmitterAction, disableSignalTransmitterAction, type TDirectoryFormResult } from "./actions";

const selectClass =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-slate-900";

const TRANSMITTER_FIELDS = [
  { name: "name", label: "Name", hint: "e.g. Okta production", required: true },
  {
    name: "issuer",
    label: "Issuer",
    hint: "The iss of the transmitter's Security Event Tokens, e.g. https://example.okta.com",
    required: true,
  },
  {
    name: "jwksUrl",
    label: "JWKS URL",
    hint: "Where its signing keys are published (the jwks_uri of its /.well-known/ssf-configuration).",
    required: true,
  },
  {
    name: "audience",
    label: "Audience",
    hint: "The aud the stream puts in every event, as configured on the IdP's side.",
    required: true,
  },
  {
    name: "subjectIssuer",
    label: "People's issuer",
    hint: "The OpenID issuer people of this IdP sign in with; leave empty when it is the same as the issuer above.",
    required: false,
  },
] as const;

export const CreateTransmitterForm = () => {
  const [result, formAction, pending] = useActionState<TDirectoryFormResult | null, FormData>(
    createSignalTransmitterAction,
    null,
  );
  const prefix = useId();
  const state = formState(result);
  return (
    <form
      action={formAction}
      className="grid max-w-2xl gap-4 rounded-md border border-slate-200 bg-white p-4"
      aria-label="New Shared Signals transmitter"
    >
      {TRANSMITTER_FIELDS.map((field) => (
        <TextField
          key={field.name}
          id={`${prefix}-${field.name}`}
          name={field.name}
          label={field.label}
          hint={field.hint}
          defaultValue={state.text(field.name, "")}
          error={state.error(field.name)}
          required={field.required}
        />
      ))}
      <div>
        <label htmlFor={`${prefix}-non-compliant`} className="block text-sm font-medium">
          When a device is reported not compliant
        </label>
        <select
          id={`${prefix}-non-compliant`}
          name="onDeviceNonCompliant"
          defaultValue={state.text("onDeviceNonCompliant", "suspend")}
          className={selectClass}
        >
          <option value="suspend">Suspend: revoke the person&apos;s grants and requests until compliant</option>
          <option value="audit">Audit only</option>
        </select>
        {state.error("onDeviceNonCompliant") ? (
          <p className="mt-1 text-sm text-red-700">{state.error("onDeviceNonCompliant")}</p>
        ) : null}
      </div>
      <div className="flex items-center gap-3">
        <SubmitButton pending={pending}>Add transmitter</SubmitButton>
        <FormMessage result={result} />
      </div>
    </form>
  );
};

export const DisableTransmitterForm = ({ transmitterId, name }: { transmitterId: string; name: string }) => {
  const [result, formAction, pending] = useActionState<TDirectoryFormResult | null, FormData>(
    disableSignalTransmitterAction,
    null,
  );
  return (
    <form
      action={formAction}
      aria-label={`Disable the transmitter ${name}`}
      onSubmit={(event) => {
        if (!window.confirm(`Disable ${name}? Its next security event is refused.`)) event.preventDefault();
      }}
    >
      <input type="hidden" name="transmitterId" value={transmitterId} />
      <SubmitButton pending={pending} tone="danger">
        Disable
      </SubmitButton>
      <FormMessage result={result} />
    </form>
  );
};
