"use client";

import { useActionState, useId, useState } from "react";
import type { TFormResult } from "../../form-data";
import { CheckboxField, FormMessage, formState, SubmitButton, TextField } from "../../form-fields";
import { attachConnectorAction, disableConnectorAction, testConnectorAction } from "./actions";

const EXAMPLES: Record<string, string> = {
  postgres: JSON.stringify(
    { adminUrl: "postgresql://jit_admin@db.internal:5432/app", loginRolePattern: "jit_{user}_{grant}" },
    null,
    2,
  ),
  webhook: JSON.stringify(
    { url: "https://hooks.example.com/jit", inspectUrl: "https://hooks.example.com/jit/held" },
    null,
    2,
  ),
};

export const AttachConnectorForm = ({
  resourceKey,
  permissions,
  kinds,
}: {
  resourceKey: string;
  permissions: string[];
  kinds: Array<{ kind: string; label: string }>;
}) => {
  const [result, formAction, pending] = useActionState<TFormResult | null, FormData>(attachConnectorAction, null);
  const prefix = useId();
  const state = formState(result);
  const [kind, setKind] = useState(state.text("kind", kinds[0]?.kind ?? "postgres"));
  return (
    <form
      action={formAction}
      className="grid max-w-2xl gap-4 rounded-md border border-slate-200 bg-white p-4"
      aria-label="Attach a connector"
    >
      <input type="hidden" name="resourceKey" value={resourceKey} />
      <div>
        <label htmlFor={`${prefix}-kind`} className="block text-sm font-medium">
          Kind
        </label>
        <select
          id={`${prefix}-kind`}
          name="kind"
          value={kind}
          onChange={(event) => setKind(event.target.value)}
          className="mt-1 block rounded-md border border-slate-300 px-3 py-1.5 text-sm"
        >
          {kinds.map((option) => (
            <option key={option.kind} value={option.kind}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      <TextField
        id={`${prefix}-name`}
        name="name"
        label="Name"
        hint="Attaching again under the same name replaces its settings (a blank credential keeps the stored one)."
        defaultValue={state.text("name", "primary")}
        error={state.error("name")}
        required
      />
      <div>
        <label htmlFor={`${prefix}-settings`} className="block text-sm font-medium">
          Settings (JSON)
        </label>
        <textarea
          id={`${prefix}-settings`}
          name="settings"
          rows={5}
          defaultValue={state.text("settings", "")}
          placeholder={EXAMPLES[kind] ?? "{}"}
          aria-invalid={state.error("settings") ? true : undefined}
          className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-1.5 font-mono text-sm"
        />
        {state.error("settings") ? <p className="mt-1 text-sm text-red-700">{state.error("settings")}</p> : null}
      </div>
      <fieldset className="grid gap-2">
        <legend className="text-sm font-medium">What each permission means in the target</legend>
        {permissions.map((permission) => (
          <TextField
            key={permission}
            id={`${prefix}-map-${permission}`}
            name={`map.${permission}`}
            label={`Targets for ${permission}`}
            hint="Comma-separated, e.g. a PostgreSQL role name."
            defaultValue={state.text(`map.${permission}`, "")}
          />
        ))}
        {state.error("mapping") ? <p className="text-sm text-red-700">{state.error("mapping")}</p> : null}
      </fieldset>
      <div>
        <label htmlFor={`${prefix}-credential`} className="block text-sm font-medium">
          Admin credential
        </label>
        <input
          id={`${prefix}-credential`}
          name="credential"
          type="password"
          autoComplete="off"
          className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
        />
        <p className="mt-1 text-xs text-slate-600">
          Stored encrypted and never shown again (a PostgreSQL admin role&apos;s password, a webhook signing secret).
        </p>
        {state.error("credential") ? <p className="mt-1 text-sm text-red-700">{state.error("credential")}</p> : null}
      </div>
      <CheckboxField
        id={`${prefix}-auto`}
        name="autoRemoveDrift"
        label="Remove access no grant explains automatically"
        hint="Otherwise drift is reported to security and left in place."
        defaultChecked={false}
      />
      <div className="flex items-center gap-3">
        <SubmitButton pending={pending}>Attach connector</SubmitButton>
        <FormMessage result={result} />
      </div>
    </form>
  );
};

export const ConnectorButtons = ({
  resourceKey,
  connectorId,
  name,
}: {
  resourceKey: string;
  connectorId: string;
  name: string;
}) => {
  const [tested, testAction, testing] = useActionState<TFormResult | null, FormData>(testConnectorAction, null);
  const [disabled, disableAction, disabling] = useActionState<TFormResult | null, FormData>(
    disableConnectorAction,
    null,
  );
  return (
    <div className="mt-3 grid gap-2">
      <form action={testAction} className="flex flex-wrap items-center gap-2" aria-label={`Test connector ${name}`}>
        <input type="hidden" name="resourceKey" value={resourceKey} />
        <input type="hidden" name="connectorId" value={connectorId} />
        <SubmitButton pending={testing} tone="secondary">
          Test connection
        </SubmitButton>
        <FormMessage result={tested} />
      </form>
      <form
        action={disableAction}
        onSubmit={(event) => {
          if (
            !window.confirm(`Disable ${name}? New grants will not be provisioned; ending ones still are deprovisioned.`)
          )
            event.preventDefault();
        }}
        className="flex flex-wrap items-center gap-2"
        aria-label={`Disable connector ${name}`}
      >
        <input type="hidden" name="resourceKey" value={resourceKey} />
        <input type="hidden" name="connectorId" value={connectorId} />
        <SubmitButton pending={disabling} tone="danger">
          Disable
        </SubmitButton>
        <FormMessage result={disabled} />
      </form>
    </div>
  );
};
