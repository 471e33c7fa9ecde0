import { z } from "zod";
import type { TUserActor } from "../authz";
import { db } from "../db";

export type TNotificationRow = {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  createdAt: Date;
  readAt: Date | null;
};

const PAGE_SIZE = 100;

// Every query below is scoped by the actor in its `where`: there is no code path that loads a
// notification by bare id, so no forgotten check can show or change another person's.

/** The actor's own notifications, newest first, with how many are unread. */
export const listNotifications = async (options: {
  actor: TUserActor;
  limit?: number;
}): Promise<{ notifications: TNotificationRow[]; unread: number }> => {
  const { actor } = options;
  const limit = Math.min(Math.max(1, options.limit ?? PAGE_SIZE), PAGE_SIZE);
  const [notifications, unread] = await Promise.all([
    db.notification.findMany({
      where: { userId: actor.userId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: limit,
      select: { id: true, kind: true, title: true, body: true, link: true, createdAt: true, readAt: true },
    }),
    countUnreadNotifications({ actor }),
  ]);
  return { notifications, unread };
};

/** Every portal page shows it in the navigation: hand-written SQL, cheaper than the ORM's (issue 16). */
export const countUnreadNotifications = async (options: { actor: TUserActor }): Promise<number> => {
  const [row] = await db.$queryRaw<Array<{ unread: number }>>`
    select count(*)::int as unread from "Notification" where "userId" = ${options.actor.userId} and "readAt" is null`;
  return row?.unread ?? 0;
};

export const ZMarkNotificationsRead = z.strictObject({
  ids: z.array(z.string().min(1).max(64)).max(PAGE_SIZE).optional(),
});

/**
 * Marks the actor's unread notifications read: the given ones, or all of them when `ids` is
 * absent. Ids of other people's notifications match nothing and change nothing.
 */
export const markNotificationsRead = async (options: {
  actor: TUserActor;
  ids?: string[];
}): Promise<{ updated: number }> => {
  const { ids } = ZMarkNotificationsRead.parse({ ids: options.ids });
  if (ids && ids.length === 0) return { updated: 0 };
  const result = await db.notification.updateMany({
    where: { userId: options.actor.userId, readAt: null, ...(ids ? { id: { in: ids } } : {}) },
    data: { readAt: new Date() },
  });
  return { updated: result.count };
};
