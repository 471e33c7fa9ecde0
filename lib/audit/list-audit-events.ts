import type { TUserActor } from "../authz";
import { assertCan } from "../authz/enforce";
import { db } from "../db";

/** Security reviewers: the newest audit events. (Search and filters come with the review area.) */
export const listRecentAuditEvents = async (options: { actor: TUserActor; limit?: number }) => {
  await assertCan(options.actor, "audit.read");
  return db.auditEvent.findMany({
    orderBy: { seq: "desc" },
    take: Math.min(Math.max(options.limit ?? 50, 1), 200),
    select: {
      id: true,
      seq: true,
      occurredAt: true,
      actorType: true,
      actorId: true,
      action: true,
      targetType: true,
      targetId: true,
      outcome: true,
      reason: true,
    },
  });
};
