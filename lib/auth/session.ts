import { holdsApproverRoleSql } from "../access/eligibility";
import { appendAuditEvent } from "../audit";
import { rolesForGroups, type TUserActor } from "../authz";
import { getConfig } from "../config";
import { db, Prisma } from "../db";

export type TSessionProblem = "missing" | "revoked" | "expired" | "idle" | "deactivated" | "privileged_reauth";
export type TSessionResult = { ok: true; actor: TUserActor } | { ok: false; problem: TSessionProblem };

// Refresh lastSeenAt at most this often: an idle timeout of minutes does not need a write
// on every click.
const TOUCH_EVERY_MS = 60_000;

type TSessionRow = {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  userId: string;
  email: string | null;
  name: string;
  groups: string[];
  deactivatedAt: Date | null;
  approver: boolean;
};

/**
 * Resolves a session id (from the cookie) to an actor, checking the database on every call:
 * a revoked session, a deactivated user, an idle or too-old session are all refused now,
 * not at the next sign-in. Roles are derived from the user's groups at this moment.
 *
 * Groups are the IdP's word as of the last sign-in. For the privileged roles (admin,
 * security) that word is kept fresh: their session ends PRIVILEGED_SESSION_MAX_MINUTES after
 * sign-in (`privileged_reauth`), and the sign-in that follows asks the IdP again, so someone
 * the IdP removed from an admin group stops being an administrator within that window, not
 * after the 12-hour session (ADR 0033).
 */
export const resolveSession = async (options: {
  sessionId: string | null | undefined;
  now?: Date;
}): Promise<TSessionResult> => {
  const now = options.now ?? new Date();
  if (!options.sessionId) return { ok: false, problem: "missing" };
  // One statement for what every page and action asks first: the session, its person and
  // whether any policy names one of their groups as approvers. Hand-written
  // SQL: it runs on every request, and the ORM's compiled form costs several times its CPU.
  const [row] = await db.$queryRaw<TSessionRow[]>`
    select s.id, s."createdAt", s."lastSeenAt", s."expiresAt", s."revokedAt",
      u.id as "userId", u.email, u.name, coalesce(u.groups, '{}') as groups, u."deactivatedAt",
      ${holdsApproverRoleSql(Prisma.sql`u.groups`)} as approver
    from "Session" s join "User" u on u.id = s."userId"
    where s.id = ${options.sessionId}`;
  const session = row && {
    ...row,
    user: { id: row.userId, email: row.email, name: row.name, groups: row.groups, deactivatedAt: row.deactivatedAt },
  };
  if (!session) return { ok: false, problem: "missing" };
  if (session.revokedAt) return { ok: false, problem: "revoked" };
  if (session.user.deactivatedAt) return { ok: false, problem: "deactivated" };
  if (now >= session.expiresAt) return { ok: false, problem: "expired" };
  if (now.getTime() - session.lastSeenAt.getTime() >= getConfig().session.idleMs) return { ok: false, problem: "idle" };

  if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    // Conditional on not being revoked meanwhile; a lost race only skips one refresh.
    await db.session.updateMany({ where: { id: session.id, revokedAt: null }, data: { lastSeenAt: now } });
  }
  const { user } = session;
  const roles = rolesForGroups(user.groups);
  if (
    (roles.includes("admin") || roles.includes("security")) &&
    now.getTime() - session.createdAt.getTime() >= getConfig().session.privilegedMaxMs
  )
    return { ok: false, problem: "privileged_reauth" };
  if (session.approver) roles.push("approver");
  return {
    ok: true,
    actor: {
      kind: "user",
      userId: user.id,
      sessionId: session.id,
      email: user.email,
      name: user.name,
      groups: user.groups,
      roles,
    },
  };
};

/** Sign-out: the session is revoked in the database, so a copied cookie is worthless after. */
export const revokeSession = async (options: {
  sessionId: string;
  reason: "sign_out" | "deactivated";
}): Promise<void> => {
  await db.$transaction(async (tx) => {
    const session = await tx.session.findUnique({
      where: { id: options.sessionId },
      select: { userId: true, revokedAt: true },
    });
    if (!session || session.revokedAt) return;
    await tx.session.update({ where: { id: options.sessionId }, data: { revokedAt: new Date() } });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: session.userId,
      action: "auth.sign_out",
      targetType: "session",
      targetId: options.sessionId,
      outcome: "ALLOWED",
      reason: options.reason,
    });
  });
};
