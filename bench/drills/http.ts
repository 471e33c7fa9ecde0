/**
 * Plain-HTTP clients for the drills: signed-in sessions, pages, server actions (called as React
 * calls them, ids from the build's manifest through e2e/support/server-actions.ts) and the
 * services API. Every call has a time bound, so a hang is measured as one, never waited out.
 */
import { serverAction } from "../../e2e/support/server-actions";
import { encodeReply } from "../../lib/testing/server-action-wire";
import { APP_URL } from "./stack";

export type TAnswer = { status: number; ms: number; body: string; headers: Headers; error?: string };

/** Status 0 means no answer: `error` says why (timeout, refused). */
export const timedFetch = async (url: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<TAnswer> => {
  const started = Date.now();
  try {
    const response = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    return { status: response.status, ms: Date.now() - started, body, headers: response.headers };
  } catch (error) {
    const name = (error as Error).name;
    return {
      status: 0,
      ms: Date.now() - started,
      body: "",
      headers: new Headers(),
      error: name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : String((error as Error).cause ?? error),
    };
  }
};

export const SESSION_COOKIE = "next-auth.session-token";

/**
 * A signed-in browser's cookie without the IdP round trip: the same session row
 * (signInUser, as the sign-in callback writes it) and the same encrypted next-auth cookie.
 * The IdP drill signs in through the IdP for real.
 */
export const mintSession = async (claims: {
  sub: string;
  email: string;
  name: string;
  groups: string[];
}): Promise<{ cookie: string; sessionId: string; userId: string }> => {
  const { signInUser } = await import("../../lib/auth/sign-in");
  const { identityFromClaims, identityOptions } = await import("../../lib/auth/claims");
  const { getConfig } = await import("../../lib/config");
  const { encode } = await import("next-auth/jwt");
  const config = getConfig();
  const { sessionId, userId } = await signInUser({
    issuer: config.oidc.issuer,
    identity: identityFromClaims({ ...claims, email_verified: true }, identityOptions(config.oidc.issuer, config.oidc)),
  });
  const token = await encode({
    token: { sid: sessionId },
    secret: config.authSecret,
    maxAge: config.session.maxMs / 1000,
  });
  return { cookie: `${SESSION_COOKIE}=${token}`, sessionId, userId };
};

/** POSTs a server action as React does; `redirect` is the x-action-redirect header. */
export const callAction = async (
  cookie: string,
  key: string,
  args: readonly unknown[],
  timeoutMs = 15_000,
): Promise<TAnswer & { redirect: string | null }> => {
  const action = serverAction(key);
  const encoded = await encodeReply(args);
  const headers: Record<string, string> = {
    cookie,
    "next-action": action.id,
    accept: "text/x-component",
    origin: APP_URL,
  };
  if (typeof encoded === "string") headers["content-type"] = "text/plain;charset=UTF-8";
  const answer = await timedFetch(
    `${APP_URL}${action.pagePath}`,
    { method: "POST", headers, body: encoded },
    timeoutMs,
  );
  return { ...answer, redirect: answer.headers.get("x-action-redirect") };
};

export const formData = (fields: Record<string, string | string[]>): FormData => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields))
    for (const one of Array.isArray(value) ? value : [value]) form.append(name, one);
  return form;
};

export const getPage = (cookie: string, path: string, timeoutMs = 15_000): Promise<TAnswer> =>
  timedFetch(`${APP_URL}${path}`, { headers: { cookie } }, timeoutMs);
