import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { announceAfter } from "../services/feed";

export const ZSetUserActive = z.object({ userId: z.string().min(1).max(64), active: z.boolean() }).strict();
export type TSetUserActive = z.infer<typeof ZSetUserActive>;

/**
 * Deactivate or reactivate a user. Deactivation revokes every open session in the same
 * transaction, so the person is out on their next request, not at their next sign-in.
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

  await db
    .$transaction(async (tx) => {
      const user = await tx.user.findUnique({ where: { id: input.userId }, select: { id: true, deactivatedAt: true } });
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
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: input.active ? "user.reactivate" : "user.deactivate",
        targetType: "user",
        targetId: user.id,
        outcome: "ALLOWED",
        details: { sessionsRevoked: revoked.count },
        ip: context.ip ?? null,
        userAgent: context.userAgent ?? null,
        requestId: context.requestId ?? null,
      });
    })
    .then(announceAfter);
};
