/**
 * Next.js proxy (formerly middleware), before every page, server action and route handler:
 * - refuses state-changing requests a browser sent from another site (lib/security/origin.ts);
 *   the services API (/api/v1, bearer tokens, no cookies) is left to its own server;
 * - while this process knows the database to be unreachable (lib/db/availability.ts, ADR 0021),
 *   answers 503 with a clear message and Retry-After instead of running the page or action
 *   (which could only fail, and Next.js would answer 500); it rechecks at most once a second;
 * - refuses server-action POSTs whose body Next.js could not decode (malformed, too deep, over
 *   1 MB) with a 400 or 413 and a reason, rather than the 500 Next's decoder would give
 *   (lib/security/action-body.ts, docs/decisions/0022-hostile-input.md). Next.js hands the proxy
 *   a copy of the body it buffers anyway, so reading it costs a parse, not another read;
 * - gives every page a nonce-based Content-Security-Policy. The nonce goes to Next.js in the
 *   request's own CSP header (it then puts it on its scripts) and to the browser in the
 *   response's. API routes serve no HTML and get none;
 * - answers Next's own `/_global-error` route, asked for by name, as the unknown path it is (404).
 */
import { type NextRequest, NextResponse } from "next/server";
import { getConfig } from "./lib/config";
import {
  DATABASE_RETRY_AFTER_SECONDS,
  DATABASE_UNAVAILABLE_MESSAGE,
  databaseAvailability,
  recheckDatabase,
} from "./lib/db/availability";
import { buildContentSecurityPolicy, newNonce } from "./lib/security/csp";
import { checkServerActionBody } from "./lib/security/action-body";
import { checkRequestOrigin } from "./lib/security/origin";

// APP_URL's origin, parsed once per process (the configuration does not change while it runs).
let appOrigin: string | undefined;

const UNAVAILABLE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="${DATABASE_RETRY_AFTER_SECONDS}"><title>Temporarily unavailable · JIT Access</title></head><body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem"><main><h1>Temporarily unavailable</h1><p role="alert">${DATABASE_UNAVAILABLE_MESSAGE}</p><p>This page reloads by itself every ${DATABASE_RETRY_AFTER_SECONDS} seconds.</p></main></body></html>`;

/** Paths that answer for themselves while the database is down: readiness, metrics, the services API. */
const ANSWERS_ITSELF = /^\/api\/(health|metrics|v1)(\/|$)/;

/** The 503 in the form the caller reads: a page for browsers, JSON for fetches and actions. */
const unavailable = (request: NextRequest): NextResponse => {
  const headers = { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS), "cache-control": "no-store" };
  const wantsHtml = (request.headers.get("accept") ?? "").includes("text/html") && !request.headers.has("next-action");
  if (wantsHtml)
    return new NextResponse(UNAVAILABLE_PAGE, {
      status: 503,
      headers: { ...headers, "content-type": "text/html; charset=utf-8" },
    });
  return NextResponse.json(
    { error: "database_unavailable", message: DATABASE_UNAVAILABLE_MESSAGE },
    { status: 503, headers },
  );
};

export const proxy = async (request: NextRequest): Promise<NextResponse> => {
  const { pathname } = request.nextUrl;
  if (databaseAvailability().down && !ANSWERS_ITSELF.test(pathname) && !(await recheckDatabase()))
    return unavailable(request);
  // The IdP's callback may come as a cross-site form post (response_mode=form_post); state,
  // PKCE and nonce protect it.
  if (!pathname.startsWith("/api/v1/") && !pathname.startsWith("/api/auth/callback/")) {
    appOrigin ??= new URL(getConfig().appUrl).origin;
    const verdict = checkRequestOrigin(request, appOrigin);
    if (!verdict.ok)
      return NextResponse.json(
        {
          error: "cross_site_request",
          message: `${verdict.reason}: this portal accepts changes only from its own pages.`,
        },
        { status: 403 },
      );
  }
  // SCIM (/scim/v2) is a bearer-token JSON API like /api: no server-action body check, no CSP.
  if (pathname.startsWith("/api/") || pathname.startsWith("/scim/")) return NextResponse.next();
  if (request.method === "POST") {
    const verdict = await checkServerActionBody(request.clone());
    if (!verdict.ok)
      return NextResponse.json(
        { error: verdict.status === 413 ? "payload_too_large" : "invalid_request", message: verdict.reason },
        { status: verdict.status },
      );
  }

  const nonce = newNonce();
  const policy = buildContentSecurityPolicy({ nonce, development: process.env.NODE_ENV === "development" });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("Content-Security-Policy", policy);
  // Next's global error boundary is a route of the build (`/_global-error`); asked for by name it
  // would render as a 500. It is not a page of ours: answer it as any unknown path.
  const response =
    pathname === "/_global-error"
      ? NextResponse.rewrite(new URL("/_not-found", request.url), { request: { headers } })
      : NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
};

export const config = {
  // Every request but static files, prefetches included: a `missing` clause for the prefetch
  // headers would let any scripted request that sends them skip the origin check, the
  // action-body check, the 503 and the CSP (ADR 0030).
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
