"use client";

import { useActionState, useId } from "react";
import { SCOPES } from "@/lib/services/scopes";
import { CheckboxGroup, FormMessage, formState, SubmitButton, TextField } from "../resources/form-fields";
import {
  createServiceClientAction,
  disableServiceClientAction,
  rotateServiceClientAction,
  type TServiceFormResult,
} from "./actions";

const SCOPE_OPTIONS = [...SCOPES];

/** The client secret appears in this one answer; the database keeps only its hash. */
const ShownOnce = ({ clientId, secret }: { clientId: string; secret: string }) => (
  <div
    className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm"
    role="alert"
    data-testid="service-client-secret"
  >
    <p className="font-medium">Copy the client secret now: it is stored only as a hash and will not be shown again.</p>
    <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
      <dt className="text-slate-600">client_id</dt>
      <dd className="font-mono break-all select-all" data-testid="service-client-id">
        {clientId}
      </dd>
      <dt className="text-slate-600">client_secret</dt>
      <dd className="font-mono break-all select-all" data-testid="service-client-secret-value">
        {secret}
      </dd>
    </dl>
  </div>
);

export const CreateServiceClientForm = () => {
  const [result, formAction, pending] = useActionState<TServiceFormResult | null, FormData>(
    createServiceClientAction,
    null,
  );
  const prefix = useId();
  const state = formState(result);
  return (
    <div className="grid max-w-2xl gap-4">
      {result?.ok && result.secret && result.clientId ? (
        <ShownOnce clientId={result.clientId} secret={result.secret} />
      ) : null}
      <form
        action={formAction}
        className="grid gap-4 rounded-md border border-slate-200 bg-white p-4"
        aria-label="New service client"
      >
        <TextField
          id={`${prefix}-name`}
          name="name"
          label="Name"
          hint="e.g. db-proxy-prod"
          defaultValue={state.text("name", "")}
          error={state.error("name")}
          required
        />
        <TextField
          id={`${prefix}-owner`}
          name="ownerEmail"
          label="Owner (e-mail, optional)"
          defaultValue={state.text("ownerEmail", "")}
          error={state.error("ownerEmail")}
        />
        <CheckboxGroup
          id={`${prefix}-scopes`}
          name="scopes"
          label="Scopes"
          error={state.error("scopes")}
          options={SCOPE_OPTIONS}
          isChecked={(value) => state.checked("scopes", value, value === "access:check")}
        />
        <TextField
          id={`${prefix}-resources`}
          name="resourceKeys"
          label="Resources it may ask about (optional)"
          hint="Comma-separated resource keys; empty means all."
          defaultValue={state.text("resourceKeys", "")}
          error={state.error("resourceKeys")}
        />
        <div className="flex items-center gap-3">
          <SubmitButton pending={pending}>Create client</SubmitButton>
          <FormMessage result={result} />
        </div>
      </form>
    </div>
  );
};

export const ClientActions = ({ clientId, name }: { clientId: string; name: string }) => {
  const [rotated, rotateAction, rotating] = useActionState<TServiceFormResult | null, FormData>(
    rotateServiceClientAction,
    null,
  );
  const [disabled, disableAction, disabling] = useActionState<TServiceFormResult | null, FormData>(
    disableServiceClientAction,
    null,
  );
  return (
    <div className="grid gap-2">
      {rotated?.ok && rotated.secret ? <ShownOnce clientId={clientId} secret={rotated.secret} /> : null}
      <div className="flex flex-wrap gap-2">
        <form action={rotateAction} aria-label={`Rotate the secret of ${name}`}>
          <input type="hidden" name="clientId" value={clientId} />
          <SubmitButton pending={rotating} tone="secondary">
            Rotate secret
          </SubmitButton>
        </form>
        <form
          action={disableAction}
          aria-label={`Disable ${name}`}
          onSubmit={(event) => {
            if (!window.confirm(`Disable ${name}? Its tokens stop working at once.`)) event.preventDefault();
          }}
        >
          <input type="hidden" name="clientId" value={clientId} />
          <SubmitButton pending={disabling} tone="danger">
            Disable
          </SubmitButton>
        </form>
      </div>
      <FormMessage
        result={
          rotated?.ok === false ? rotated : (disabled ?? (rotated?.ok ? { ok: true, message: rotated.message } : null))
        }
      />
    </div>
  );
};
