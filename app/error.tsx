"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { startTransition } from "react";
import { PageErrorNotice } from "./components/page-error";

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
    <PageErrorNotice digest={error.digest}>
      <div className="mt-6 flex gap-4">
        <button type="button" onClick={retry} className="rounded bg-slate-900 px-3 py-1.5 text-white">
          Try again
        </button>
        <Link href="/" className="self-center underline">
          Back to My access
        </Link>
      </div>
    </PageErrorNotice>
  );
};

export default PageError;
