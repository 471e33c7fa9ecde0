import { db } from "../db";

// A revoked session is kept a day so "you were signed out" can still be explained (and the
// row inspected) before it goes.
const KEEP_REVOKED_MS = 24 * 3600_000;

/**
 * Deletes sessions that can never be used again: past their absolute expiry, or revoked more
 * than a day ago. Housekeeping only: every request checks its session row itself, so a
 * session this has not reached yet is refused all the same.
 */
export const pruneSessions = async (options: { now?: Date } = {}): Promise<{ deleted: number }> => {
  const now = options.now ?? new Date();
  const { count } = await db.session.deleteMany({
    where: {
      OR: [{ expiresAt: { lt: now } }, { revokedAt: { lt: new Date(now.getTime() - KEEP_REVOKED_MS) } }],
    },
  });
  return { deleted: count };
};
