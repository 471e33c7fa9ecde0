import { z } from "zod";

/** What the portal keeps from an ID token. Groups may arrive as an array or a single string. */
export type TIdentity = { subject: string; email: string; name: string; groups: string[] };

const ZClaims = z.looseObject({
  sub: z.string().min(1).max(255),
  email: z.string().max(320).optional(),
  preferred_username: z.string().max(320).optional(),
  upn: z.string().max(320).optional(),
  name: z.string().max(200).optional(),
});

const toGroups = (value: unknown): string[] => {
  const list = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
  const groups = list.filter(
    (item): item is string => typeof item === "string" && item.length > 0 && item.length <= 256,
  );
  return [...new Set(groups)].sort();
};

/** Reads identity claims from a verified ID token's payload. Throws on a token without `sub`. */
export const identityFromClaims = (claims: unknown, groupsClaim: string): TIdentity => {
  const parsed = ZClaims.parse(claims);
  const email = (parsed.email ?? parsed.preferred_username ?? parsed.upn ?? parsed.sub).toLowerCase();
  return {
    subject: parsed.sub,
    email,
    name: parsed.name?.trim() || email,
    groups: toGroups((parsed as Record<string, unknown>)[groupsClaim]),
  };
};
