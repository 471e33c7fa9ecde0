"use client";

import { useActionState } from "react";
import { confirmDeviceAction, type TConfirmDeviceState } from "./actions";

export const DeviceForm = ({ code, suggestedName }: { code: string; suggestedName: string }) => {
  const [state, action, pending] = useActionState<TConfirmDeviceState, FormData>(confirmDeviceAction, null);
  if (state?.ok)
    return (
      <p role="status" className="rounded border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900">
        {state.message}
      </p>
    );
  return (
    <form action={action} className="flex max-w-md flex-col gap-3">
      <label className="flex flex-col gap-1 text-sm">
        Code shown in your terminal
        <input
          name="userCode"
          defaultValue={code}
          required
          autoComplete="off"
          className="rounded border border-slate-300 px-2 py-1 font-mono tracking-widest uppercase"
        />
        {state?.fields.userCode ? <span className="text-red-700">{state.fields.userCode}</span> : null}
      </label>
      <label className="flex flex-col gap-1 text-sm">
        Name this device
        <input
          name="deviceName"
          defaultValue={suggestedName}
          required
          maxLength={80}
          className="rounded border border-slate-300 px-2 py-1"
        />
        {state?.fields.deviceName ? <span className="text-red-700">{state.fields.deviceName}</span> : null}
      </label>
      {state && !state.ok && !state.fields.userCode && !state.fields.deviceName ? (
        <p role="alert" className="text-sm text-red-700">
          {state.message}
        </p>
      ) : null}
      <div className="flex gap-2">
        <button
          type="submit"
          name="decision"
          value="approve"
          disabled={pending}
          className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white disabled:opacity-50"
        >
          Sign in this device
        </button>
        <button
          type="submit"
          name="decision"
          value="deny"
          disabled={pending}
          className="rounded border border-slate-300 px-3 py-1.5 text-sm disabled:opacity-50"
        >
          This was not me
        </button>
      </div>
    </form>
  );
};
