"use client";

import { useState } from "react";
import type { TOneTimeCredential } from "@/lib/provisioning/types";
import { issueCredentialAction, revealCredentialAction } from "./actions";

const CopyButton = ({ value, label }: { value: string; label: string }) => {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      aria-label={`Copy ${label}`}
      className="rounded-md border border-slate-300 bg-white px-2 py-0.5 text-xs font-medium hover:bg-slate-50"
      onClick={() => {
        void navigator.clipboard?.writeText(value).then(
          () => setCopied(true),
          () => setCopied(false),
        );
      }}
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
};

const Credential = ({ credential }: { credential: TOneTimeCredential }) => (
  <div className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm" role="alert" data-testid="credential">
    <p className="font-medium">{credential.title}: copy it now, it will not be shown again.</p>
    <dl className="mt-2 grid gap-1">
      {credential.fields.map((field) => (
        <div key={field.label} className="flex flex-wrap items-center gap-2">
          <dt className="w-24 font-medium">{field.label}</dt>
          <dd className="flex flex-wrap items-center gap-2">
            <code className="rounded bg-white px-2 py-0.5 font-mono break-all select-all" aria-label={field.label}>
              {field.value}
            </code>
            <CopyButton value={field.value} label={field.label} />
          </dd>
        </div>
      ))}
    </dl>
  </div>
);

/** "Show credential": one click, one answer; the portal erases its copy as it answers. */
export const RevealCredential = ({
  grantId,
  connectorId,
  label,
}: {
  grantId: string;
  connectorId: string;
  label: string;
}) => {
  const [credential, setCredential] = useState<TOneTimeCredential | null>(null);
  const [message, setMessage] = useState("");
  const [pending, setPending] = useState(false);
  if (credential) return <Credential credential={credential} />;
  return (
    <div className="flex flex-wrap items-center gap-2">
      <button
        type="button"
        disabled={pending}
        className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-60"
        onClick={() => {
          setPending(true);
          void revealCredentialAction({ grantId, connectorId })
            .then((answer) => (answer.ok ? setCredential(answer.credential) : setMessage(answer.message)))
            .finally(() => setPending(false));
        }}
      >
        Show {label} credential (once)
      </button>
      <p role="status" className="text-sm text-red-700">
        {message}
      </p>
    </div>
  );
};

/** Connectors that issue a credential on demand: the grantee pastes their input (e.g. a public key). */
export const IssueCredential = ({
  grantId,
  connectorId,
  label,
}: {
  grantId: string;
  connectorId: string;
  label: string;
}) => {
  const [credential, setCredential] = useState<TOneTimeCredential | null>(null);
  const [message, setMessage] = useState("");
  const [input, setInput] = useState("");
  return (
    <div className="grid gap-2">
      <label className="text-sm font-medium" htmlFor={`issue-${connectorId}`}>
        {label}: your input (e.g. a public key)
      </label>
      <textarea
        id={`issue-${connectorId}`}
        value={input}
        onChange={(event) => setInput(event.target.value)}
        rows={3}
        className="block w-full rounded-md border border-slate-300 px-3 py-1.5 font-mono text-sm"
      />
      <div className="flex items-center gap-2">
        <button
          type="button"
          className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
          onClick={() => {
            void issueCredentialAction({ grantId, connectorId, input }).then((answer) =>
              answer.ok ? (setCredential(answer.credential), setMessage("")) : setMessage(answer.message),
            );
          }}
        >
          Issue credential
        </button>
        <p role="status" className="text-sm text-red-700">
          {message}
        </p>
      </div>
      {credential ? <Credential credential={credential} /> : null}
    </div>
  );
};
