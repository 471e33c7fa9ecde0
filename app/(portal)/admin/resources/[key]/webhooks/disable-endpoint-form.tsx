"use client";

import { useActionState } from "react";
import { FormMessage, SubmitButton } from "../../form-fields";
import { disableEndpointAction } from "./actions";
import type { TWebhookFormResult } from "./form-result";

export const DisableEndpointForm = ({
  resourceKey,
  endpointId,
  url,
}: {
  resourceKey: string;
  endpointId: string;
  url: string;
}) => {
  const [result, formAction, pending] = useActionState<TWebhookFormResult | null, FormData>(
    disableEndpointAction,
    null,
  );
  return (
    <form
      action={formAction}
      onSubmit={(event) => {
        if (
          !window.confirm(
            `Disable the endpoint ${url}? Queued deliveries to it will not be sent. This can't be undone here.`,
          )
        )
          event.preventDefault();
      }}
      className="flex flex-wrap items-center gap-2"
      aria-label={`Disable endpoint ${url}`}
    >
      <input type="hidden" name="resourceKey" value={resourceKey} />
      <input type="hidden" name="endpointId" value={endpointId} />
      <SubmitButton pending={pending} tone="danger">
        <span aria-hidden="true">Disable</span>
        <span className="sr-only">Disable endpoint {url}</span>
      </SubmitButton>
      <FormMessage result={result} />
    </form>
  );
};
