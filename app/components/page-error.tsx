import type { ReactNode } from "react";

/**
 * What app/error.tsx and app/global-error.tsx show for a page that failed while rendering:
 * what happened in words and the reference Next.js logged with the error (its digest), never
 * the error itself. `children` are the ways on.
 */
export const PageErrorNotice = ({ digest, children }: { digest: string | undefined; children: ReactNode }) => (
  <main id="main" className="mx-auto max-w-xl px-4 py-16">
    <h1 className="text-2xl font-semibold">This page could not be shown</h1>
    <p role="alert" className="mt-2 text-slate-600">
      The portal could not finish this page, perhaps because it is briefly unavailable. Try again in a moment.
    </p>
    {digest ? <p className="mt-2 text-sm text-slate-500">Reference: {digest}</p> : null}
    {children}
  </main>
);
