"use client";

import Link from "next/link";
import { PageErrorNotice } from "./components/page-error";
import "./globals.css";

/** The last boundary: the root layout itself failed, so this page brings its own html and body. */
const GlobalError = ({ error }: { error: Error & { digest?: string } }) => (
  <html lang="en">
    <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
      <PageErrorNotice digest={error.digest}>
        <Link href="/" className="mt-6 inline-block underline">
          Back to My access
        </Link>
      </PageErrorNotice>
    </body>
  </html>
);

export default GlobalError;
