/**
 * Rate limits on signing in:
 * - per client IP, on next-auth's sign-in starts (POST /api/auth/signin/<provider>) and on
 *   the IdP's callbacks (/api/auth/callback/<provider>), before next-auth runs;
 * - per IdP account (issuer and subject) at the callback, once the IdP has vouched for who it
 *   is: only someone who can sign in as that account at the IdP can lock it, so nobody can lock
 *   another person out by naming them.
 *
 * A refused account gets the answer a deactivated one gets (next-auth's AccessDenied), and the
 * account is counted before it is looked up: the answer says nothing about whether the
 * account exists, is deactivated or is locked. Only the audit log knows which.
 */
import { recordAuditEvent } from "../audit";
import type { TAuditContext } from "../authz/enforce";
import { getConfig } from "../config";
import { db } from "../db";
import { AppError, errorResponse } from "../errors";
import { checkRateLimit } from "../security/rate-limits";

/** The sign-in page's notice for a per-IP refusal; `wait` is the time to wait in seconds. */
export const signInRateLimitedPath = (retryAfterSeconds: number): string =>
  `/signin?error=RateLimited&wait=${retryAfterSeconds}`;

/**
 * Before next-auth handles `/api/auth/<action>/...`: null to go on, or the refusal. A start
 * answers 429 with Retry-After and, for next-auth's client (which follows `url`), the sign-in
 * page with the wait; a callback (a browser navigation from the IdP) is sent to that page.
 */
export const limitSignInRequest = async (options: {
  method: string;
  action: string | undefined;
  context: TAuditContext;
  now?: Date;
}): Promise<Response | null> => {
  const { method, action, context } = options;
  const flow =
    action === "signin" && method === "POST" ? "sign_in.start" : action === "callback" ? "sign_in.callback" : null;
  if (!flow || !context.ip) return null;
  const decision = await checkRateLimit({ flow, by: { ip: context.ip }, context, now: options.now });
  if (decision.ok) return null;
  const path = signInRateLimitedPath(decision.retryAfterSeconds);
  if (flow === "sign_in.start") {
    return errorResponse(
      new AppError("RATE_LIMITED", decision.message, {}, { retryAfterSeconds: decision.retryAfterSeconds }),
      { url: path },
    );
  }
  return new Response(null, {
    status: 303,
    headers: {
      location: new URL(path, getConfig().appUrl).toString(),
      "retry-after": String(decision.retryAfterSeconds),
      "cache-control": "no-store",
    },
  });
};

/**
 * At the callback, after the IdP verified the ID token: may this account sign in now? False for
 * an account past its sign-in limit and for a deactivated user, each audited (the lockout once,
 * as `ratelimit.refused`; a deactivated user's attempt as a denied `auth.sign_in`). The caller
 * gives every `false` the same answer.
 */
export const admitSignIn = async (options: {
  issuer: string;
  subject: string;
  context?: TAuditContext;
  now?: Date;
}): Promise<boolean> => {
  const { issuer, subject, context = {} } = options;
  const user = await db.user.findUnique({
    where: { issuer_subject: { issuer, subject } },
    select: { id: true, deactivatedAt: true },
  });
  // Counted for every account, known or not, active or not, before anything else is decided.
  const limit = await checkRateLimit({
    flow: "sign_in.account",
    by: { account: `${issuer}\n${subject}` },
    actorId: user?.id ?? null,
    context,
    details: { issuer, subject },
    now: options.now,
  });
  if (!limit.ok) return false;
  if (!user?.deactivatedAt) return true;
  await recordAuditEvent({
    actorType: "USER",
    actorId: user.id,
    action: "auth.sign_in",
    targetType: "user",
    targetId: user.id,
    outcome: "DENIED",
    reason: "user is deactivated",
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
    requestId: context.requestId ?? null,
  });
  return false;
};
