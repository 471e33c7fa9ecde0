"use client";

import { useActionState, useId } from "react";
import { FormMessage, formState, SubmitButton, TextField } from "../resources/form-fields";
import {
  createDirectoryConnectionAction,
  createDirectoryTokenAction,
  revokeDirectoryTokenAction,
  type TDirectoryFormResult,
} from "./actions";

/** The token appears in this one answer; the database keeps only its SHA-256. */
const ShownOnce = ({ token }: { token: string }) => (
  <div
    className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm"
    role="alert"
    data-testid="directory-token"
  >
    <p className="font-medium">
      Copy the token now into your IdP&apos;s provisioning settings: it is stored only as a hash and will not be shown
      again.
    </p>
    <p className="mt-2 font-mono break-all select-all" data-testid="directory-token-value">
      {token}
    </p>
  </div>
);

export const CreateConnectionForm = () => {
  const [result, formAction, pending] = useActionState<TDirectoryFormResult | null, FormData>(
    createDirectoryConnectionAction,
    null,
  );
  const prefix = useId();
  const state = formState(result);
  return (
    <div className="grid max-w-2xl gap-4">
      {result?.ok && result.token ? <ShownOnce token={result.token} /> : null}
      <form
        action={formAction}
        className="grid gap-4 rounded-md border border-slate-200 bg-white p-4"
        aria-label="New directory connection"
      >
        <TextField
          id={`${prefix}-name`}
          name="name"
          label="Name"
          hint="e.g. Okta production"
          defaultValue={state.text("name", "")}
          error={state.error("name")}
          required
        />
        <TextField
          id={`${prefix}-issuer`}
          name="issuer"
          label="Issuer"
          hint="The OpenID issuer people of this IdP sign in with (the ID token's iss), e.g. https://example.okta.com"
          defaultValue={state.text("issuer", "")}
          error={state.error("issuer")}
          required
        />
        <TextField
          id={`${prefix}-link-claim`}
          name="linkClaim"
          label="Link claim"
          hint="The ID token claim your IdP sends as SCIM externalId: sub (Okta, Keycloak) or oid (Entra ID)."
          defaultValue={state.text("linkClaim", "sub")}
          error={state.error("linkClaim")}
        />
        <div className="flex items-center gap-3">
          <SubmitButton pending={pending}>Create connection</SubmitButton>
          <FormMessage result={result} />
        </div>
      </form>
    </div>
  );
};

export const NewTokenForm = ({ connectionId, name }: { connectionId: string; name: string }) => {
  const [result, formAction, pending] = useActionState<TDirectoryFormResult | null, FormData>(
    createDirectoryTokenAction,
    null,
  );
  return (
    <div className="grid gap-2">
      {result?.ok && result.token ? <ShownOnce token={result.token} /> : null}
      <form action={formAction} aria-label={`New token for ${name}`}>
        <input type="hidden" name="connectionId" value={connectionId} />
        <SubmitButton pending={pending} tone="secondary">
          New token
        </SubmitButton>
      </form>
      <FormMessage result={result?.ok === false ? result : null} />
    </div>
  );
};

export const RevokeTokenForm = ({ tokenId, hint }: { tokenId: string; hint: string }) => {
  const [result, formAction, pending] = useActionState<TDirectoryFormResult | null, FormData>(
    revokeDirectoryTokenAction,
    null,
  );
  return (
    <form
      action={formAction}
      aria-label={`Revoke the token ending ${hint}`}
      onSubmit={(event) => {
        if (!window.confirm(`Revoke the token ending ${hint}? The IdP's next request with it is refused.`))
          event.preventDefault();
      }}
    >
      <input type="hidden" name="tokenId" value={tokenId} />
      <SubmitButton pending={pending} tone="danger">
        Revoke
      </SubmitButton>
      <FormMessage result={result} />
    </form>
  );
};
