"use client";

import Link from "next/link";
import "./globals.css";

/** The last boundary: the root layout itself failed, so this page brings its own html and body. */
const GlobalError = ({ error }: { error: Error & { digest?: string } }) => (
  <html lang="en">
    <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
      <main id="main" className="mx-auto max-w-xl px-4 py-16">
        <h1 className="text-2xl font-semibold">This page could not be shown</h1>
        <p role="alert" className="mt-2 text-slate-600">
          The portal could not finish this page, perhaps because it is briefly unavailable. Try again in a moment.
        </p>
        {error.digest ? <p className="mt-2 text-sm text-slate-500">Reference: {error.digest}</p> : null}
        <Link href="/" className="mt-6 inline-block underline">
          Back to My access
        </Link>
      </main>
    </body>
  </html>
);

export default GlobalError;
