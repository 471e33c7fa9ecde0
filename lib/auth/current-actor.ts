import { getServerSession } from "next-auth";
import { forbidden, redirect } from "next/navigation";
import { connection } from "next/server";
import { cache } from "react";
import { can, type TAction, type TTarget, type TUserActor } from "../authz";
import { recordDenial } from "../authz/enforce";
import { AppError } from "../errors";
import { getAuthOptions, requestContext } from "./next-auth-options";
import { resolveSession, type TSessionResult } from "./session";

/** Once per request: the cookie's session id, checked against the database. */
export const currentSession = cache(async (): Promise<TSessionResult> => {
  // Per-request by nature: never prerendered at build time (which would read configuration).
  await connection();
  const session = await getServerSession(getAuthOptions());
  return resolveSession({ sessionId: session?.sid });
});

/** For pages: the signed-in person, or a redirect to sign-in saying why. */
export const requirePageActor = async (returnTo: string): Promise<TUserActor> => {
  const result = await currentSession();
  if (!result.ok) {
    const reason = result.problem === "missing" ? "" : `reason=${result.problem}&`;
    redirect(`/signin?${reason}callbackUrl=${encodeURIComponent(returnTo)}`);
  }
  return result.actor;
};

/** For server actions and route handlers: the signed-in person, or a 401. */
export const requireActor = async (): Promise<TUserActor> => {
  const result = await currentSession();
  if (!result.ok) throw new AppError("UNAUTHENTICATED", "Your session has ended. Sign in again.");
  return result.actor;
};

/** For pages: answer 403 (and audit the denial) unless the actor may do `action`. */
export const authorizePage = async (actor: TUserActor, action: TAction, target?: TTarget): Promise<void> => {
  if (can(actor, action, target)) return;
  await recordDenial({ actor, action, target, context: await requestContext() });
  forbidden();
};
