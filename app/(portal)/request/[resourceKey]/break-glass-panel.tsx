"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { confirmWithPasskey } from "@/app/components/passkey-client";
import { startBreakGlassAction, takeBreakGlassAction } from "./break-glass-actions";
import { inputClass } from "@/app/components/field";

/**
 * Emergency access at once, where the policy allows it: permissions, a duration up to the
 * policy's break-glass maximum, a justification, and a passkey confirmation. Security is
 * alerted the moment it is taken and reviews it afterwards.
 */
export const BreakGlassPanel = ({
  resourceKey,
  policy,
}: {
  resourceKey: string;
  policy: { id: string; permissions: string[]; breakGlassMaxMinutes: number };
}) => {
  const router = useRouter();
  const id = useId();
  const [permissions, setPermissions] = useState<string[]>(policy.permissions.length === 1 ? policy.permissions : []);
  const [duration, setDuration] = useState(String(policy.breakGlassMaxMinutes));
  const [justification, setJustification] = useState("");
  const [ticket, setTicket] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ message: string; fields: Record<string, string> } | null>(null);
  const fields = problem?.fields ?? {};

  const take = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const started = await startBreakGlassAction({ policyId: policy.id, permissions });
      if (!started.ok) return setProblem(started);
      const confirmed = await confirmWithPasskey(started.options);
      if (!confirmed.ok) return setProblem({ message: confirmed.message, fields: {} });
      const taken = await takeBreakGlassAction({
        policyId: policy.id,
        permissions,
        durationMinutes: Number(duration),
        justification,
        ticket: ticket.trim() || undefined,
        assertion: confirmed.response,
      });
      if (!taken.ok) return setProblem(taken);
      router.push(`/requests/${taken.requestId}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      aria-label={`Break-glass: ${policy.permissions.join(", ")}`}
      className="mt-10 max-w-2xl rounded-md border-2 border-red-300 bg-red-50/40 p-4"
    >
      <h2 className="text-lg font-medium text-red-900">
        Emergency access (break-glass): {policy.permissions.join(", ")}
      </h2>
      <p className="mt-1 text-sm text-slate-700">
        Starts at once, without approvers, for at most {policy.breakGlassMaxMinutes} minutes. Security is alerted
        immediately and reviews it after the incident. Confirmed with your passkey.
      </p>
      {problem ? (
        <div role="alert" className="mt-3 rounded-md bg-red-100 p-3 text-red-900">
          {problem.message}{" "}
          {problem.fields.passkey === "required" ? (
            <Link href={`/passkeys?returnTo=/request/${resourceKey}`} className="underline">
              Register a passkey
            </Link>
          ) : null}
        </div>
      ) : null}
      <div className="mt-4 space-y-4">
        {policy.permissions.length > 1 ? (
          <fieldset>
            <legend className="font-medium">Permissions</legend>
            <div className="mt-2 flex flex-wrap gap-4">
              {policy.permissions.map((permission) => (
                <label key={permission} className="flex items-center gap-2">
                  <input
                    type="checkbox"
                    checked={permissions.includes(permission)}
                    onChange={(event) =>
                      setPermissions(
                        event.target.checked
                          ? [...permissions, permission]
                          : permissions.filter((item) => item !== permission),
                      )
                    }
                  />
                  {permission}
                </label>
              ))}
            </div>
            {fields.permissions ? <p className="mt-1 text-sm text-red-700">{fields.permissions}</p> : null}
          </fieldset>
        ) : null}
        <div>
          <label htmlFor={`${id}-duration`} className="font-medium">
            Length of emergency access (minutes)
          </label>
          <input
            id={`${id}-duration`}
            type="number"
            min={5}
            max={policy.breakGlassMaxMinutes}
            value={duration}
            onChange={(event) => setDuration(event.target.value)}
            aria-invalid={fields.durationMinutes ? true : undefined}
            className={inputClass}
          />
          {fields.durationMinutes ? <p className="mt-1 text-sm text-red-700">{fields.durationMinutes}</p> : null}
        </div>
        <div>
          <label htmlFor={`${id}-justification`} className="font-medium">
            What is the emergency?
          </label>
          <textarea
            id={`${id}-justification`}
            rows={3}
            value={justification}
            onChange={(event) => setJustification(event.target.value)}
            aria-invalid={fields.justification ? true : undefined}
            className={inputClass}
          />
          {fields.justification ? <p className="mt-1 text-sm text-red-700">{fields.justification}</p> : null}
        </div>
        <div>
          <label htmlFor={`${id}-ticket`} className="font-medium">
            Incident reference (optional)
          </label>
          <input
            id={`${id}-ticket`}
            type="text"
            value={ticket}
            onChange={(event) => setTicket(event.target.value)}
            aria-invalid={fields.ticket ? true : undefined}
            className={inputClass}
          />
          {fields.ticket ? <p className="mt-1 text-sm text-red-700">{fields.ticket}</p> : null}
        </div>
        <button
          type="button"
          disabled={busy}
          onClick={() => void take()}
          className="rounded-md bg-red-700 px-4 py-2.5 font-medium text-white hover:bg-red-800 disabled:opacity-60"
        >
          {busy ? "Confirm with your passkey…" : "Take emergency access now"}
        </button>
      </div>
    </section>
  );
};
