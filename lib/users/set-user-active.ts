import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { endAccessOfUser } from "../access/end-access-of-user";
import { announceAfter } from "../services/feed";

export const ZSetUserActive = z.object({ userId: z.string().min(1).max(64), active: z.boolean() }).strict();
export type TSetUserActive = z.infer<typeof ZSetUserActive>;

/**
 * Deactivate or reactivate a user. Deactivation, in one transaction: every open session is
 * revoked (the person is out on their next request, not at their next sign-in), pending
 * requests and extensions are cancelled, and live and scheduled grants are revoked, with
 * deprovisioning, as an administrator's revocation does (lib/access/end-access-of-user.ts).
 */
export const setUserActive = async (options: {
  actor: TUserActor;
  input: TSetUserActive;
  context?: TAuditContext;
}): Promise<void> => {
  const { actor, context = {} } = options;
  const input = ZSetUserActive.parse(options.input);
  await assertCan(
    actor,
    input.active ? "users.reactivate" : "users.deactivate",
    { type: "user", id: input.userId },
    context,
  );

  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };
  await db
    .$transaction(
      async (tx) => {
        // Locked: a grant being made for this person at this moment waits for the outcome (create-grant.ts).
        await tx.$queryRaw`select id from "User" where id = ${input.userId} for update`;
        const user = await tx.user.findUnique({
          where: { id: input.userId },
          select: { id: true, deactivatedAt: true },
        });
        if (!user) throw new AppError("NOT_FOUND", "No such user.");
        if (input.active === !user.deactivatedAt) return; // already in the asked state: nothing to record

        const now = new Date();
        await tx.user.update({
          where: { id: user.id },
          data: input.active
            ? { deactivatedAt: null, deactivatedById: null }
            : { deactivatedAt: now, deactivatedById: actor.userId },
        });
        const revoked = input.active
          ? { count: 0 }
          : await tx.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } });
        const ended = input.active
          ? null
          : await endAccessOfUser(tx, {
              userId: user.id,
              actor: { userId: actor.userId, name: actor.name },
              now,
              audit,
            });
        await appendAuditEvent(tx, {
          actorType: "USER",
          actorId: actor.userId,
          action: input.active ? "user.reactivate" : "user.deactivate",
          targetType: "user",
          targetId: user.id,
          outcome: "ALLOWED",
          details: { sessionsRevoked: revoked.count, ...ended },
          ...audit,
        });
      }, // A person with many grants: each revocation is a few statements and its own audit event.
      { timeout: 30_000 },
    )
    .then(announceAfter);
};
