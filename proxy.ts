/**
 * Next.js proxy (formerly middleware), before every page, server action and route handler:
 * - refuses state-changing requests a browser sent from another site (lib/security/origin.ts);
 *   the services API (/api/v1, bearer tokens, no cookies) is left to its own server;
 * - gives every page a nonce-based Content-Security-Policy. The nonce goes to Next.js in the
 *   request's own CSP header (it then puts it on its scripts) and to the browser in the
 *   response's. API routes serve no HTML and get none.
 */
import { type NextRequest, NextResponse } from "next/server";
import { getConfig } from "./lib/config";
import { buildContentSecurityPolicy, newNonce } from "./lib/security/csp";
import { checkRequestOrigin } from "./lib/security/origin";

// APP_URL's origin, parsed once per process (the configuration does not change while it runs).
let appOrigin: string | undefined;

export const proxy = (request: NextRequest): NextResponse => {
  const { pathname } = request.nextUrl;
  // The IdP's callback may come as a cross-site form post (response_mode=form_post); state,
  // PKCE and nonce protect it.
  if (!pathname.startsWith("/api/v1/") && !pathname.startsWith("/api/auth/callback/")) {
    appOrigin ??= new URL(getConfig().appUrl).origin;
    const verdict = checkRequestOrigin(request, appOrigin);
    if (!verdict.ok) return NextResponse.json({ error: "cross_site_request", message: `${verdict.reason}: this portal accepts changes only from its own pages.` }, { status: 403 });
  }
  if (pathname.startsWith("/api/")) return NextResponse.next();

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
      source: "/((?!_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
