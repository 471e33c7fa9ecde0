"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { startTransition } from "react";

/**
 * What a person sees when a page fails while rendering: most often the database went away in
 * the middle of it (the next request gets the proxy's 503 page, ADR 0021). No details (the
 * server logged them); the reference is the digest Next.js logged with the error.
 */
const PageError = ({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) => {
  const router = useRouter();
  const retry = () =>
    startTransition(() => {
      router.refresh();
      reset();
    });
  return (
    <main id="main" className="mx-auto max-w-xl px-4 py-16">
      <h1 className="text-2xl font-semibold">This page could not be shown</h1>
      <p role="alert" className="mt-2 text-slate-600">
        The portal could not finish this page, perhaps because it is briefly unavailable. Try again in a moment.
      </p>
      {error.digest ? <p className="mt-2 text-sm text-slate-500">Reference: {error.digest}</p> : null}
      <div className="mt-6 flex gap-4">
        <button type="button" onClick={retry} className="rounded bg-slate-900 px-3 py-1.5 text-white">
          Try again
        </button>
        <Link href="/" className="self-center underline">
          Back to My access
        </Link>
      </div>
    </main>
  );
};

export default PageError;
