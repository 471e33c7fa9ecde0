"use client";

import { useActionState, useTransition, useState } from "react";
import { confirmSlackLinkAction, startSlackLinkAction, unlinkSlackAction, type TSlackLinkState } from "./actions";

type TProps = {
  link: { slackUserId: string; source: "explicit" | "email" } | null;
  pendingFor: string | null;
};

const input = "rounded border border-slate-300 px-2 py-1 font-mono";
const button = "rounded bg-slate-900 px-3 py-1.5 text-sm text-white disabled:opacity-50";

const Said = ({ state }: { state: TSlackLinkState }) =>
  state ? (
    <p role={state.ok ? "status" : "alert"} className={`text-sm ${state.ok ? "text-emerald-800" : "text-red-700"}`}>
      {state.message}
      {Object.values(state.fields).map((why) => ` ${why}`)}
    </p>
  ) : null;

/** Link a Slack member id (a code goes to it by DM and comes back here), or unlink it. */
export const SlackLinkForm = ({ link, pendingFor }: TProps) => {
  const [started, start, starting] = useActionState<TSlackLinkState, FormData>(startSlackLinkAction, null);
  const [confirmed, confirm, confirming] = useActionState<TSlackLinkState, FormData>(confirmSlackLinkAction, null);
  const [unlinking, startUnlink] = useTransition();
  const [unlinked, setUnlinked] = useState<string | null>(null);
  return (
    <div className="flex max-w-xl flex-col gap-4 text-sm">
      <p>
        {link
          ? `Approval requests reach you in Slack as member ${link.slackUserId} (${link.source === "explicit" ? "linked by you" : "found by your e-mail"}).`
          : "No Slack member is linked: approval requests reach you in Slack only if your e-mail is found there."}
      </p>
      <form action={start} className="flex flex-wrap items-end gap-2">
        <label className="flex flex-col gap-1">
          Slack member id
          <input name="slackUserId" required maxLength={24} placeholder="U0123ABCD" className={input} />
        </label>
        <button type="submit" disabled={starting} className={button}>
          Send me a code in Slack
        </button>
      </form>
      <Said state={started} />
      {pendingFor || started?.ok ? (
        <form action={confirm} className="flex flex-wrap items-end gap-2">
          <label className="flex flex-col gap-1">
            Code from the Slack DM
            <input
              name="code"
              required
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              className={input}
            />
          </label>
          <button type="submit" disabled={confirming} className={button}>
            Link
          </button>
        </form>
      ) : null}
      <Said state={confirmed} />
      {link ? (
        <p>
          <button
            type="button"
            disabled={unlinking}
            className="rounded border border-slate-300 px-3 py-1.5 disabled:opacity-50"
            onClick={() =>
              startUnlink(async () => {
                const answer = await unlinkSlackAction();
                setUnlinked(answer.message);
              })
            }
          >
            Unlink Slack
          </button>
          {unlinked ? <span className="ml-2">{unlinked}</span> : null}
        </p>
      ) : null}
    </div>
  );
};
