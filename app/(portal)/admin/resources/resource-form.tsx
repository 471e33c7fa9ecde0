"use client";

import { useActionState, useId } from "react";
import { createResourceAction, updateResourceAction } from "./actions";
import type { TFormResult } from "./form-data";
import { FormMessage, formState, SubmitButton, TextField } from "./form-fields";

type TResourceValues = {
  key: string;
  name: string;
  description: string;
  environment: string;
  permissions: string[];
  slackChannel: string | null;
};

const EMPTY: TResourceValues = {
  key: "",
  name: "",
  description: "",
  environment: "",
  permissions: [],
  slackChannel: null,
};

/** Creates a resource (no `resource`) or edits one; the key is fixed once created. */
export const ResourceForm = ({ resource }: { resource?: TResourceValues }) => {
  const [result, formAction, pending] = useActionState<TFormResult | null, FormData>(
    resource ? updateResourceAction : createResourceAction,
    null,
  );
  const prefix = useId();
  const initial = resource ?? EMPTY;
  const state = formState(result);
  return (
    <form
      action={formAction}
      className="grid max-w-2xl gap-4 rounded-md border border-slate-200 bg-white p-4"
      aria-label={resource ? `Edit resource ${resource.key}` : "New resource"}
    >
      {resource ? (
        <input type="hidden" name="resourceKey" value={resource.key} />
      ) : (
        <TextField
          id={`${prefix}-key`}
          name="key"
          label="Key"
          hint="2 to 63 characters: lowercase letters, digits and hyphens. Services and grants refer to it; it can't be changed later."
          defaultValue={state.text("key", initial.key)}
          error={state.error("key")}
          required
        />
      )}
      <TextField
        id={`${prefix}-name`}
        name="name"
        label="Name"
        defaultValue={state.text("name", initial.name)}
        error={state.error("name")}
        required
      />
      <TextField
        id={`${prefix}-description`}
        name="description"
        label="Description"
        defaultValue={state.text("description", initial.description)}
        error={state.error("description")}
        multiline
      />
      <TextField
        id={`${prefix}-environment`}
        name="environment"
        label="Environment"
        hint="For example production or staging."
        defaultValue={state.text("environment", initial.environment)}
        error={state.error("environment")}
        required
      />
      <TextField
        id={`${prefix}-permissions`}
        name="permissions"
        label="Permissions"
        hint="Comma-separated, for example: read, write, admin."
        defaultValue={state.text("permissions", initial.permissions.join(", "))}
        error={state.error("permissions")}
        required
      />
      <TextField
        id={`${prefix}-slack-channel`}
        name="slackChannel"
        label="Slack channel id"
        hint="Where waiting requests for this resource are posted, e.g. C0123456789. Empty: the default approval channel."
        defaultValue={state.text("slackChannel", initial.slackChannel ?? "")}
        error={state.error("slackChannel")}
      />
      <div className="flex items-center gap-3">
        <SubmitButton pending={pending}>{resource ? "Save resource" : "Create resource"}</SubmitButton>
        <FormMessage result={result} />
      </div>
    </form>
  );
};
