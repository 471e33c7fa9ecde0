import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentSession } from "@/lib/auth/current-actor";
import { safeCallbackPath } from "@/lib/auth/safe-callback";
import { getConfig } from "@/lib/config";
import { waitInWords } from "@/lib/security/rate-limits";
import { SignInButton } from "./sign-in-button";

export const metadata: Metadata = { title: "Sign in" };

const REASONS: Record<string, string> = {
  signed_out: "You have signed out.",
  expired: "Your session reached its maximum lifetime. Sign in again.",
  idle: "Your session ended after a period of inactivity. Sign in again.",
  revoked: "Your session has ended. Sign in again.",
  deactivated: "This account is deactivated. Ask an administrator of the portal.",
  privileged_reauth:
    "Administrator and security roles are confirmed with your identity provider regularly. Sign in again to continue.",
};

// next-auth's error codes, said plainly. AccessDenied is every refusal of an account (deactivated,
// or past its sign-in limit): one message, so it tells nobody which, or that the account exists.
const ERRORS: Record<string, string> = {
  AccessDenied:
    "Sign-in was refused. Wait a few minutes and try again; if it keeps happening, ask an administrator of the portal.",
  OAuthCallback: "Sign-in with the identity provider failed. Try again.",
  OAuthSignin: "Could not reach the identity provider. Try again later.",
  Callback: "Sign-in failed. Try again.",
  EmailInUse:
    "This account's e-mail address already belongs to another account in the portal, so it cannot sign in. Ask an administrator of the portal.",
};

type TSearchParams = Promise<Record<string, string | string[] | undefined>>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

const SignInPage = async ({ searchParams }: { searchParams: TSearchParams }) => {
  const params = await searchParams;
  const session = await currentSession();
  const callbackUrl = safeCallbackPath(first(params.callbackUrl), getConfig().appUrl);
  if (session.ok) redirect(callbackUrl);
  const reason = first(params.reason);
  const error = first(params.error);
  const wait = Number(first(params.wait));
  const rateLimited =
    error === "RateLimited"
      ? `Too many sign-in attempts from your network address. Try again in ${Number.isInteger(wait) && wait > 0 && wait < 86_400 ? waitInWords(wait) : "a few minutes"}.`
      : null;
  const message =
    (reason && REASONS[reason]) ?? rateLimited ?? (error ? (ERRORS[error] ?? "Sign-in failed. Try again.") : null);
  const { oidc } = getConfig();
  return (
    <main id="main" className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-4">
      <div className="rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
        <h1 className="text-2xl font-semibold">JIT Access</h1>
        <p className="mt-2 text-slate-600">
          Time-boxed, approved access to production systems. Sign in with your company account.
        </p>
        {message ? (
          <p role="alert" className="mt-4 rounded-md bg-amber-50 p-3 text-amber-900">
            {message}
          </p>
        ) : null}
        <div className="mt-6">
          <SignInButton
            callbackUrl={callbackUrl}
            label={oidc.isDevIdp ? "Sign in with the development IdP" : "Sign in with SSO"}
          />
        </div>
      </div>
    </main>
  );
};

export default SignInPage;
