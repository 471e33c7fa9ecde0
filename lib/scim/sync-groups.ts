import type { Db } from "../db";

/**
 * The directory's groups become the person's groups (User.groups), in the transaction that
 * changed them: eligibility, approver rights and the admin and security roles are all derived
 * from User.groups on every request (lib/auth/session.ts), so they change at once, without a
 * new sign-in (ADR 0038). The rows are locked first, in id order, so two changes never deadlock
 * and a decision reading the approver's groups `for share` waits for the change.
 */
export const syncUserGroups = async (tx: Db, userIds: readonly string[]): Promise<void> => {
  const ids = [...new Set(userIds)].sort();
  if (ids.length === 0) return;
  await tx.$queryRaw`select id from "User" where id = any(${ids}::text[]) order by id for update`;
  const memberships = await tx.directoryGroupMember.findMany({
    where: { userId: { in: ids } },
    select: { userId: true, group: { select: { displayName: true } } },
  });
  for (const id of ids) {
    const groups = [
      ...new Set(memberships.filter((row) => row.userId === id).map((row) => row.group.displayName)),
    ].sort();
    await tx.user.update({ where: { id }, data: { groups } });
  }
};
