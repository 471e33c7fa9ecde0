/**
 * Next.js proxy (formerly middleware): a nonce-based Content-Security-Policy on every page.
 * The nonce goes to Next.js in the request's own CSP header (it then puts it on its scripts)
 * and to the browser in the response's. API routes and static files are left out: they serve
 * no HTML.
 */
import { type NextRequest, NextResponse } from "next/server";
import { buildContentSecurityPolicy, newNonce } from "./lib/security/csp";

export const proxy = (request: NextRequest): NextResponse => {
  const nonce = newNonce();
  const policy = buildContentSecurityPolicy({ nonce, development: process.env.NODE_ENV === "development" });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
};

export const config = {
  matcher: [
    {
      source: "/((?!api/|_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
