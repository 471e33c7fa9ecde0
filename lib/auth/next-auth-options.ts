import type { NextAuthOptions } from "next-auth";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { headers } from "next/headers";
import { getConfig } from "../config";
import { identityFromClaims, identityOptions } from "./claims";
import { errorMessageOf } from "./log-metadata";
import { safeRedirectUrl } from "./safe-callback";
import { revokeSession } from "./session";
import { countFailedSignIn } from "./count-failed-sign-in";
import { linkDirectoryUserAtSignIn } from "../scim/link-at-sign-in";
import { checkEmailAvailable, signInUser, type TRequestContext } from "./sign-in";
import { admitSignIn } from "./sign-in-limits";

declare module "next-auth" {
  interface Session {
    sid?: string;
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    sid?: string;
  }
}

/** The redirect URI to register at the IdP: `<APP_URL>/api/auth/callback/oidc`. */
export const OIDC_PROVIDER_ID = "oidc";

type TClaims = Record<string, unknown> & { sub: string; iss?: string };

/**
 * Who is asking, from the request's headers. X-Forwarded-For holds exactly the client's
 * address: the web server's hook (lib/security/client-ip-hook.mjs) replaced whatever the
 * client sent, trusting only TRUST_PROXY proxies.
 */
export const requestContext = async (): Promise<TRequestContext> => {
  try {
    const h = await headers();
    return {
      ip: h.get("x-forwarded-for")?.split(",")[0]?.trim() || null,
      userAgent: h.get("user-agent"),
      requestId: h.get("x-request-id"),
    };
  } catch {
    return {};
  }
};

/**
 * next-auth keeps only a session id in its encrypted cookie; the session itself lives in
 * PostgreSQL and is checked on every request (lib/auth/session.ts).
 */
export const getAuthOptions = (): NextAuthOptions => {
  const config = getConfig();
  // next-auth 4 builds its callback URLs from NEXTAUTH_URL.
  process.env.NEXTAUTH_URL ??= config.appUrl;
  const issuerOf = (claims: TClaims) => (typeof claims.iss === "string" ? claims.iss : config.oidc.issuer);

  const provider: OAuthConfig<TClaims> = {
    id: OIDC_PROVIDER_ID,
    name: config.oidc.isDevIdp ? "Development IdP" : "Company SSO",
    type: "oauth",
    wellKnown: `${config.oidc.issuer}/.well-known/openid-configuration`,
    clientId: config.oidc.clientId,
    clientSecret: config.oidc.clientSecret,
    authorization: { params: { scope: config.oidc.scopes } },
    // Authorization code flow with PKCE, state and nonce; openid-client verifies the ID
    // token's signature, issuer, audience, expiry and nonce.
    checks: ["pkce", "state", "nonce"],
    idToken: true,
    client: { token_endpoint_auth_method: "client_secret_basic" },
    profile: (claims) => ({ id: claims.sub, email: typeof claims.email === "string" ? claims.email : null }),
  };

  return {
    secret: config.authSecret,
    session: { strategy: "jwt", maxAge: Math.floor(config.session.maxMs / 1000) },
    pages: { signIn: "/signin", error: "/signin" },
    providers: [provider],
    callbacks: {
      redirect: async ({ url, baseUrl }) => safeRedirectUrl(url, baseUrl),
      // A deactivated account and one past its sign-in limit get the same answer,
      // next-auth's AccessDenied: nothing tells which, or whether the account exists.
      signIn: async ({ profile }) => {
        if (!profile) return false;
        const claims = profile as TClaims;
        const issuer = issuerOf(claims);
        const context = await requestContext();
        if (!(await admitSignIn({ issuer, subject: claims.sub, context }))) return false;
        // A person the directory (SCIM) created before this first sign-in, keyed by another claim.
        await linkDirectoryUserAtSignIn({ issuer, subject: claims.sub, claims, context });
        // A verified e-mail another account holds: refused, and the person told why.
        const identity = identityFromClaims(claims, identityOptions(issuer, config.oidc));
        return (await checkEmailAvailable({ issuer, identity, context })) ? true : "/signin?error=EmailInUse";
      },
      jwt: async ({ token, account, profile }) => {
        if (!account || !profile) return token;
        const claims = profile as TClaims;
        const { sessionId } = await signInUser({
          issuer: issuerOf(claims),
          identity: identityFromClaims(claims, identityOptions(issuerOf(claims), config.oidc)),
          context: await requestContext(),
        });
        // Nothing else from the IdP goes into the cookie.
        return { sid: sessionId };
      },
      session: async ({ session, token }) => ({ expires: session.expires, sid: token.sid }),
    },
    events: {
      signOut: async ({ token }) => {
        if (token?.sid) await revokeSession({ sessionId: token.sid, reason: "sign_out" });
      },
    },
    logger: {
      error: (code, metadata) => {
        // next-auth passes either an Error or `{ error, providerId, message }`: the cause (an
        // unreachable IdP's ECONNREFUSED) is in whichever is there.
        const message = errorMessageOf(metadata);
        // A garbage cookie or a forged callback is anyone's to send: counted per address and
        // window, one aggregate audit event per window, never one per request (ADR 0024).
        if (/CALLBACK|OAUTH|SIGNIN|JWT_SESSION/i.test(code)) {
          void requestContext()
            .then((context) => countFailedSignIn({ code, message, context }))
            .catch(() => undefined);
          return;
        }
        console.error(JSON.stringify({ level: "error", source: "next-auth", code, message }));
      },
      warn: (code) => console.warn(JSON.stringify({ level: "warn", source: "next-auth", code })),
      debug: () => undefined,
    },
  };
};
