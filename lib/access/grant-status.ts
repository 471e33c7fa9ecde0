/**
 * A grant's state is computed from time and revocation at the moment of the question,
 * never read from a flag a worker must flip: an expired grant is never honoured even if
 * every worker is down (docs/design.md invariant 2).
 */
export type TGrantStatus = "scheduled" | "active" | "expired" | "revoked";

export type TGrantTimes = { startsAt: Date; expiresAt: Date; revokedAt: Date | null };

export const grantStatus = (grant: TGrantTimes, now: Date = new Date()): TGrantStatus => {
  if (grant.revokedAt && grant.revokedAt <= now) return "revoked";
  if (now >= grant.expiresAt) return "expired";
  if (now < grant.startsAt) return "scheduled";
  return "active";
};

export const isGrantActive = (grant: TGrantTimes, now: Date = new Date()): boolean =>
  grantStatus(grant, now) === "active";

/** The Prisma `where` for grants active at `now`; the same rule as `grantStatus`. */
export const activeGrantWhere = (now: Date) => ({
  startsAt: { lte: now },
  expiresAt: { gt: now },
  OR: [{ revokedAt: null }, { revokedAt: { gt: now } }],
});
