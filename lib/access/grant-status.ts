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

export type TRevocationFacts = {
  subjectId: string;
  subjectName?: string | null;
  revokedById: string | null;
  revokedByName?: string | null;
  revokeReason: string | null;
};

/**
 * How an early end reads, in every list, timeline and export: the holder ending their own
 * grant is not someone taking it away. "ended early by you" for the holder, "ended early by
 * <holder>" for others, "revoked by <name>: <reason>" when someone else (or the system) did.
 */
export const describeRevocation = (grant: TRevocationFacts, viewerId?: string): string => {
  if (grant.revokedById !== null && grant.revokedById === grant.subjectId)
    return viewerId === grant.subjectId ? "ended early by you" : `ended early by ${grant.subjectName ?? "its holder"}`;
  const by = grant.revokedByName ? ` by ${grant.revokedByName}` : "";
  return `revoked${by}${grant.revokeReason ? `: ${grant.revokeReason}` : ""}`;
};
