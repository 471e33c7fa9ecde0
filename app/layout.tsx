import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "JIT Access", template: "%s · JIT Access" },
  description: "Time-boxed, justified, approved and audited access.",
};

// Every page is rendered per request: its scripts must carry that response's CSP nonce
// (proxy.ts), which a page built ahead of time cannot.
const RootLayout = async ({ children }: { children: ReactNode }) => {
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">{children}</body>
    </html>
  );
};

export default RootLayout;
