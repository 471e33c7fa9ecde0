import { z } from "zod";

/**
 * What the portal keeps from an ID token. A person is their issuer and `subject`; `email` is
 * set only when the IdP vouches for it (docs/decisions/0027-identity-by-issuer-and-subject.md),
 * and `claimedEmail` keeps an unverified address for the audit trail only.
 */
export type TIdentity = {
  subject: string;
  email: string | null;
  claimedEmail?: string | null;
  name: string;
  groups: string[];
};

/** How much this deployment trusts its IdP's `email` claim (OIDC_EMAIL_VERIFIED_CLAIM, OIDC_TRUST_EMAIL_ISSUERS). */
export type TEmailTrust = {
  /** The claim that says the address is verified; `email_verified` in OpenID Connect. */
  verifiedClaim: string;
  /** Issuers whose `email` claim is taken as verified without that claim (IdPs that never send it). */
  trustedIssuers: readonly string[];
};

export type TIdentityOptions = { issuer: string; groupsClaim: string; email: TEmailTrust };

const ZClaims = z.looseObject({
  sub: z.string().min(1).max(255),
  email: z.string().max(320).optional(),
  preferred_username: z.string().max(320).optional(),
  upn: z.string().max(320).optional(),
  name: z.string().max(200).optional(),
});

// Enough to tell an address from a user name; the IdP has already verified the rest.
const ZEmail = z.string().regex(/^[^\s@]+@[^\s@]+$/);

const toGroups = (value: unknown): string[] => {
  const list = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
  const groups = list.filter(
    (item): item is string => typeof item === "string" && item.length > 0 && item.length <= 256,
  );
  return [...new Set(groups)].sort();
};

/** `true`, or the string "true" some IdPs send (Amazon Cognito does). */
const isTrue = (value: unknown): boolean => value === true || value === "true";

/**
 * Reads identity claims from a verified ID token's payload. Throws on a token without `sub`.
 * `preferred_username` and `upn` are names a person may be able to choose: they make a display
 * name, never an e-mail that identifies anyone.
 */
export const identityFromClaims = (claims: unknown, options: TIdentityOptions): TIdentity => {
  const parsed = ZClaims.parse(claims);
  const record = parsed as Record<string, unknown>;
  const address = parsed.email?.trim().toLowerCase() || null;
  const wellFormed = address !== null && ZEmail.safeParse(address).success;
  const verified =
    wellFormed &&
    (isTrue(record[options.email.verifiedClaim]) || options.email.trustedIssuers.includes(options.issuer));
  const email = verified ? address : null;
  return {
    subject: parsed.sub,
    email,
    claimedEmail: verified ? null : address,
    name: parsed.name?.trim() || email || parsed.preferred_username?.trim() || parsed.upn?.trim() || parsed.sub,
    groups: toGroups(record[options.groupsClaim]),
  };
};

/** The options for an ID token from `issuer`, as this deployment is configured. */
export const identityOptions = (
  issuer: string,
  oidc: { groupsClaim: string; emailVerifiedClaim: string; trustEmailIssuers: readonly string[] },
): TIdentityOptions => ({
  issuer,
  groupsClaim: oidc.groupsClaim,
  email: { verifiedClaim: oidc.emailVerifiedClaim, trustedIssuers: oidc.trustEmailIssuers },
});
