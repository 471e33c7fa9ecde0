import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "JIT Access", template: "%s · JIT Access" },
  description: "Time-boxed, justified, approved and audited access.",
};

const RootLayout = ({ children }: { children: ReactNode }) => (
  <html lang="en">
    <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">{children}</body>
  </html>
);

export default RootLayout;
