"use client";
import { DataTable } from "@/app/components/ui";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { signOut } from "next-auth/react";
import { type FormEvent, useId, useState } from "react";
import { confirmWithPasskey, createPasskey } from "@/app/components/passkey-client";
import {
  finishAddPasskeyAction,
  removePasskeyAction,
  startAddPasskeyAction,
  startPasskeyStepUpAction,
  type TPasskeyActionResult,
} from "./actions";

type TAuthenticationResponse = Extract<Awaited<ReturnType<typeof confirmWithPasskey>>, { ok: true }>["response"];

/** What the page says after an attempt: progress and success in role="status", errors in role="alert". */
type TNotice = { tone: "progress" | "ok" | "error"; text: string; reauth?: boolean } | null;

const noticeFor = (result: TPasskeyActionResult): TNotice =>
  result.ok
    ? { tone: "ok", text: result.message }
    : { tone: "error", text: result.fields.name ?? result.message, reauth: result.fields.reauth === "required" };

const SIGN_IN_AGAIN = `/signin?callbackUrl=${encodeURIComponent("/passkeys")}`;

/** Ends this session and comes back here after a fresh sign-in. */
const SignInAgainButton = () => {
  const [pending, setPending] = useState(false);
  return (
    <button
      type="button"
      disabled={pending}
      onClick={() => {
        setPending(true);
        void signOut({ callbackUrl: SIGN_IN_AGAIN });
      }}
      className="mt-2 rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-60"
    >
      {pending ? "Signing out…" : "Sign in again"}
    </button>
  );
};

const Notice = ({ notice, testId }: { notice: TNotice; testId: string }) => (
  <>
    {/* Both regions are always in the DOM, so screen readers announce what appears in them. */}
    <div
      role="status"
      data-testid={`${testId}-status`}
      className={`text-sm ${notice?.tone === "ok" ? "text-green-800" : "text-slate-700"}`}
    >
      {notice && notice.tone !== "error" ? notice.text : ""}
    </div>
    <div role="alert" data-testid={`${testId}-error`} className="text-sm text-red-700">
      {notice?.tone === "error" ? notice.text : ""}
      {notice?.tone === "error" && notice.reauth ? (
        <div>
          <SignInAgainButton />
        </div>
      ) : null}
    </div>
  </>
);

/** Asks for a MANAGE_PASSKEYS confirmation with an existing passkey. */
const confirmManage = async (setNotice: (notice: TNotice) => void): Promise<TAuthenticationResponse | null> => {
  const started = await startPasskeyStepUpAction();
  if (!started.ok) {
    setNotice(noticeFor(started));
    return null;
  }
  setNotice({ tone: "progress", text: "Confirm with one of your existing passkeys…" });
  const confirmed = await confirmWithPasskey(started.options);
  if (!confirmed.ok) {
    setNotice({ tone: "error", text: confirmed.message });
    return null;
  }
  return confirmed.response;
};

export const AddPasskeyForm = ({ returnTo }: { returnTo: string | null }) => {
  const router = useRouter();
  const nameId = useId();
  const hintId = useId();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<TNotice>(null);
  const [added, setAdded] = useState(false);

  // The name is read from the form, not from state: text typed before the page hydrated (a fast
  // user, a test) is what the field shows, so it is what gets saved.
  const add = async (form: HTMLFormElement) => {
    const name = String(new FormData(form).get("name") ?? "");
    setAdded(false);
    // Checked before the device prompt: a refused name after it would strand a credential.
    if (name.trim().length === 0) return setNotice({ tone: "error", text: "Give the passkey a name." });
    setNotice({ tone: "progress", text: "Preparing…" });
    const started = await startAddPasskeyAction();
    if (!started.ok) return setNotice(noticeFor(started));

    // An older session confirms with an existing passkey before a new one is made.
    let stepUp: TAuthenticationResponse | undefined;
    if (started.stepUp) {
      setNotice({
        tone: "progress",
        text: "Your sign-in is more than 10 minutes old: first confirm with one of your existing passkeys…",
      });
      const confirmed = await confirmWithPasskey(started.stepUp);
      if (!confirmed.ok) return setNotice({ tone: "error", text: confirmed.message });
      stepUp = confirmed.response;
    }

    setNotice({ tone: "progress", text: "Follow your browser’s prompt to create the passkey…" });
    const created = await createPasskey(started.registration);
    if (!created.ok) return setNotice({ tone: "error", text: created.message });

    setNotice({ tone: "progress", text: "Saving…" });
    let result = await finishAddPasskeyAction({ name, response: created.response, stepUp });
    // The session crossed the 10-minute mark during the prompt: confirm, then send the same
    // new passkey again (its challenge was not spent by the refusal).
    if (!result.ok && result.fields.stepUp === "required") {
      const confirmed = await confirmManage(setNotice);
      if (!confirmed) return;
      result = await finishAddPasskeyAction({ name, response: created.response, stepUp: confirmed });
    }
    setNotice(noticeFor(result));
    if (result.ok) {
      setAdded(true);
      const field = form.elements.namedItem("name");
      if (field instanceof HTMLInputElement) field.value = "Passkey";
      router.refresh();
    }
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    void add(event.currentTarget).finally(() => setBusy(false));
  };

  return (
    <form
      onSubmit={onSubmit}
      className="max-w-lg space-y-3 rounded-md border border-slate-200 bg-white p-4"
      aria-label="Add a passkey"
    >
      <div>
        <label htmlFor={nameId} className="block font-medium">
          Passkey name
        </label>
        <p id={hintId} className="text-sm text-slate-600">
          So you can tell your passkeys apart, e.g. “Work laptop” or “Phone”. Up to 60 characters.
        </p>
        <input
          id={nameId}
          name="name"
          defaultValue="Passkey"
          required
          maxLength={60}
          aria-describedby={hintId}
          className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2"
        />
      </div>
      <button
        type="submit"
        disabled={busy}
        className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700 disabled:opacity-60"
      >
        {busy ? "Adding…" : "Add a passkey"}
      </button>
      <Notice notice={notice} testId="add-passkey" />
      {added && returnTo ? (
        <p>
          <Link href={returnTo} className="font-medium underline">
            Continue where you were
          </Link>
        </p>
      ) : null}
    </form>
  );
};

export type TPasskeyListRow = { id: string; name: string; created: string; lastUsed: string | null; synced: boolean };

/**
 * The person's passkeys with a Remove button each. The outcome is announced above the
 * table, not in the row: a removed row disappears on refresh, and its message with it.
 */
export const PasskeyTable = ({ rows }: { rows: TPasskeyListRow[] }) => {
  const router = useRouter();
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<TNotice>(null);

  const remove = async (row: TPasskeyListRow) => {
    setNotice({ tone: "progress", text: `Removing “${row.name}”…` });
    // Any passkey but the last is removed only with a passkey confirmation (ADR 0033): ask first.
    const confirmedFirst = rows.length > 1 ? await confirmManage(setNotice) : undefined;
    if (confirmedFirst === null) return;
    let result = await removePasskeyAction({ passkeyId: row.id, stepUp: confirmedFirst });
    // The last passkey on an older session: confirm with it, then retry.
    if (!result.ok && result.fields.stepUp === "required" && confirmedFirst === undefined) {
      const stepUp = await confirmManage(setNotice);
      if (!stepUp) return;
      result = await removePasskeyAction({ passkeyId: row.id, stepUp });
    }
    setNotice(result.ok ? { tone: "ok", text: `Passkey “${row.name}” removed.` } : noticeFor(result));
    if (result.ok) {
      setConfirming(null);
      router.refresh();
    }
  };

  return (
    <div className="space-y-2">
      <Notice notice={notice} testId="passkey-list" />
      <DataTable caption="Your passkeys" columns={["Name", "Added", "Last used", "Synced", "Action"]}>
        {rows.map((row) => (
          <tr key={row.id} className="border-t border-slate-100" data-testid="passkey-row">
            <td className="px-3 py-2 font-medium">{row.name}</td>
            <td className="px-3 py-2 whitespace-nowrap">{row.created}</td>
            <td className="px-3 py-2 whitespace-nowrap">{row.lastUsed ?? "never"}</td>
            <td className="px-3 py-2">{row.synced ? "yes" : "no"}</td>
            <td className="px-3 py-2">
              {confirming === row.id ? (
                <div className="flex flex-wrap items-center gap-2">
                  <span>Remove “{row.name}”?</span>
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => {
                      setBusy(true);
                      void remove(row).finally(() => setBusy(false));
                    }}
                    className="rounded-md border border-red-300 px-3 py-1.5 font-medium text-red-800 hover:bg-red-50 disabled:opacity-60"
                  >
                    {busy ? "Removing…" : "Yes, remove"}
                  </button>
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => setConfirming(null)}
                    className="rounded-md border border-slate-300 px-3 py-1.5 font-medium hover:bg-slate-100 disabled:opacity-60"
                  >
                    Cancel
                  </button>
                </div>
              ) : (
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => {
                    setNotice(null);
                    setConfirming(row.id);
                  }}
                  aria-label={`Remove passkey ${row.name}`}
                  className="rounded-md border border-red-300 px-3 py-1.5 font-medium text-red-800 hover:bg-red-50 disabled:opacity-60"
                >
                  Remove
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
};
