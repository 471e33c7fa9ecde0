"use client";

import { signIn } from "next-auth/react";
import { useState } from "react";

export const SignInButton = ({ callbackUrl, label }: { callbackUrl: string; label: string }) => {
  const [pending, setPending] = useState(false);
  return (
    <button
      type="button"
      disabled={pending}
      onClick={() => {
        setPending(true);
        void signIn("oidc", { callbackUrl });
      }}
      className="w-full rounded-md bg-slate-900 px-4 py-2.5 font-medium text-white hover:bg-slate-700 disabled:opacity-60"
    >
      {pending ? "Redirecting…" : label}
    </button>
  );
};
