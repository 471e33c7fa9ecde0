"use client";

import { useActionState, useId, useState } from "react";
import { WEBHOOK_EVENT_TYPES } from "@/lib/webhooks/schemas";
import { CheckboxGroup, FormMessage, formState, SubmitButton, TextField } from "../../form-fields";
import { createEndpointAction } from "./actions";
import type { TWebhookFormResult } from "./form-result";

/** The secret, once: it is in this answer only, and the database keeps it encrypted. */
const SecretOnce = ({ secret }: { secret: string }) => {
  const [copied, setCopied] = useState(false);
  return (
    <div
      className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm"
      role="alert"
      data-testid="webhook-secret"
    >
      <p className="font-medium">Signing secret: copy it now, it will not be shown again.</p>
      <p className="mt-1 text-slate-700">
        Configure the receiver with it to verify the <code>webhook-signature</code> header (Standard Webhooks,
        HMAC-SHA256).
      </p>
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <code className="rounded bg-white px-2 py-1 font-mono break-all select-all" aria-label="Signing secret">
          {secret}
        </code>
        <button
          type="button"
          className="rounded-md border border-slate-300 bg-white px-3 py-1 text-sm font-medium hover:bg-slate-50"
          onClick={() => {
            void navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  );
};

export const EndpointForm = ({ resourceKey }: { resourceKey: string }) => {
  const [result, formAction, pending] = useActionState<TWebhookFormResult | null, FormData>(createEndpointAction, null);
  const prefix = useId();
  const state = formState(result);
  return (
    <div className="grid max-w-2xl gap-4">
      {result?.ok && result.secret ? <SecretOnce secret={result.secret} /> : null}
      <form
        action={formAction}
        className="grid gap-4 rounded-md border border-slate-200 bg-white p-4"
        aria-label="New webhook endpoint"
      >
        <input type="hidden" name="resourceKey" value={resourceKey} />
        <TextField
          id={`${prefix}-url`}
          name="url"
          label="URL"
          hint="Where events are POSTed. https:// (http:// is accepted outside production only)."
          defaultValue={state.text("url", "")}
          error={state.error("url")}
          required
        />
        <CheckboxGroup
          id={`${prefix}-events`}
          name="events"
          label="Events"
          error={state.error("events")}
          options={[...WEBHOOK_EVENT_TYPES]}
          isChecked={(value) => state.checked("events", value, true)}
        />
        <div className="flex items-center gap-3">
          <SubmitButton pending={pending}>Add endpoint</SubmitButton>
          <FormMessage result={result} />
        </div>
      </form>
    </div>
  );
};
