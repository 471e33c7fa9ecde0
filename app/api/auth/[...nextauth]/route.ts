import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { isAcceptableCallbackUrl, isAcceptableErrorCode } from "@/lib/auth/safe-callback";
import { getAuthOptions, requestContext } from "@/lib/auth/next-auth-options";
import { limitSignInRequest } from "@/lib/auth/sign-in-limits";
import { getConfig } from "@/lib/config";

type TContext = { params: Promise<{ nextauth: string[] }> };

/** A callbackUrl next-auth would answer with a 500 (see isAcceptableCallbackUrl): a 400 with the reason instead. */
const refuseCallbackUrl = (request: NextRequest): Response | null => {
  const { appUrl } = getConfig();
  const fromQuery = request.nextUrl.searchParams.getAll("callbackUrl");
  const fromCookie = request.cookies
    .getAll()
    .filter((cookie) => cookie.name.endsWith("next-auth.callback-url"))
    .map((cookie) => cookie.value);
  const bad = [...fromQuery, ...fromCookie].some((value) => value !== "" && !isAcceptableCallbackUrl(value, appUrl));
  if (!bad) return null;
  return Response.json(
    {
      error: "invalid_request",
      message: "callbackUrl must be a path on this portal (or its callback-url cookie is damaged: clear it).",
    },
    { status: 400, headers: { "cache-control": "no-store" } },
  );
};

/** An `error` parameter next-auth would turn into an invalid Location header (a 500): a 400 instead. */
const refuseErrorCode = (request: NextRequest): Response | null =>
  request.nextUrl.searchParams.getAll("error").every(isAcceptableErrorCode)
    ? null
    : Response.json(
        { error: "invalid_request", message: "error must be one of next-auth's error codes (letters and digits)." },
        { status: 400, headers: { "cache-control": "no-store" } },
      );

// Sign-in starts and IdP callbacks are limited per client IP first (lib/auth/sign-in-limits.ts),
// then a callbackUrl next-auth cannot use is refused. Options are built per request so that
// `next build` never reads configuration.
const handler = async (request: NextRequest, context: TContext) => {
  const [action] = (await context.params).nextauth;
  const refusal =
    (await limitSignInRequest({ method: request.method, action, context: await requestContext() })) ??
    refuseCallbackUrl(request) ??
    refuseErrorCode(request);
  return refusal ?? NextAuth(request, context, getAuthOptions());
};

export { handler as GET, handler as POST };
