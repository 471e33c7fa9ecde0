import { z } from "zod";
import { getConfig } from "../config";
import type { Db } from "../db";
import { addOutboxJobs } from "../queue/outbox";

export const ZNotify = z.strictObject({
  recipients: z
    .strictObject({
      userIds: z.array(z.string().min(1).max(64)).max(1000).optional(),
      /** Every active user in one of SECURITY_GROUPS; also posted to CHAT_WEBHOOK_URL when set. */
      security: z.boolean().optional(),
    })
    .refine((value) => (value.userIds?.length ?? 0) > 0 || value.security === true, "name at least one recipient"),
  /** A stable, dotted name of what happened, e.g. "request.submitted". */
  kind: z.string().min(1).max(100),
  title: z.string().trim().min(1).max(200),
  body: z.string().max(10_000),
  // A path inside the portal ("/requests/…"): never an absolute URL or "//host", so a link in a
  // notice can only lead to the portal itself.
  link: z
    .string()
    .max(2000)
    .regex(/^\/(?![/\\])[^\s]*$/, "must be a path inside the portal, starting with a single /")
    .optional(),
});
export type TNotify = z.input<typeof ZNotify>;

export type TNotifyResult = { notificationIds: string[] };

/** Deterministic ids: a repeated relay of the same outbox row can never send a second copy. */
export const emailJobId = (notificationId: string): string => `notify:email:${notificationId}`;
export const chatJobId = (notificationId: string): string => `notify:chat:${notificationId}`;

/**
 * Records a notice inside the caller's transaction: one in-app Notification per recipient,
 * and in the outbox one e-mail job per active recipient (plus one chat post for security
 * notices when CHAT_WEBHOOK_URL is set). Commits or rolls back with the change it reports, so
 * there is never a notice about something that did not happen, nor a change without its notice.
 *
 * Recipients are de-duplicated; unknown user ids are skipped rather than failing the caller's
 * change. Deactivated users keep the in-app row (they see it if reactivated) but get no e-mail.
 */
export const notify = async (tx: Db, input: TNotify): Promise<TNotifyResult> => {
  const [result] = await notifyMany(tx, [input]);
  return result ?? { notificationIds: [] };
};

/**
 * Many notices in four statements whatever their number (named users, security reviewers,
 * the rows, their outbox jobs): for batches such as a burst of expiries.
 */
export const notifyMany = async (tx: Db, inputs: TNotify[]): Promise<TNotifyResult[]> => {
  if (inputs.length === 0) return [];
  const notices = inputs.map((input) => ZNotify.parse(input));
  const config = getConfig();
  const namedIds = [...new Set(notices.flatMap((notice) => notice.recipients.userIds ?? []))];
  const anySecurity = notices.some((notice) => notice.recipients.security === true);

  const named = namedIds.length > 0 ? await tx.user.findMany({ where: { id: { in: namedIds } }, select: { id: true, deactivatedAt: true } }) : [];
  const reviewers =
    anySecurity && config.securityGroups.length > 0
      ? await tx.user.findMany({ where: { deactivatedAt: null, groups: { hasSome: config.securityGroups } }, select: { id: true }, orderBy: { id: "asc" } })
      : [];
  const activeById = new Map(named.map((user) => [user.id, user.deactivatedAt === null]));

  // Per notice: its recipients, each once, and whether they are there as security reviewers.
  const planned = notices.map((notice) => {
    const recipients = new Map<string, { active: boolean; security: boolean }>();
    for (const userId of notice.recipients.userIds ?? []) {
      const active = activeById.get(userId);
      if (active !== undefined) recipients.set(userId, { active, security: false });
    }
    if (notice.recipients.security) for (const user of reviewers) recipients.set(user.id, { active: true, security: true });
    return { notice, recipients };
  });
  const data = planned.flatMap(({ notice, recipients }) =>
    [...recipients.keys()].map((userId) => ({ userId, kind: notice.kind, title: notice.title, body: notice.body, link: notice.link ?? null })),
  );
  if (data.length === 0) return notices.map(() => ({ notificationIds: [] }));
  const rows = await tx.notification.createManyAndReturn({ data, select: { id: true, userId: true } });
  if (rows.length !== data.length || rows.some((row, index) => row.userId !== data[index]?.userId)) throw new Error("notifyMany: rows came back out of order");

  // createManyAndReturn answers in insertion order: walk the plan in the same order.
  const jobs: Parameters<typeof addOutboxJobs>[1] = [];
  let next = 0;
  const results = planned.map(({ notice, recipients }) => {
    const mine = rows.slice(next, next + recipients.size);
    next += recipients.size;
    for (const row of mine) {
      if (recipients.get(row.userId)?.active) jobs.push({ name: "notify.send", payload: { notificationId: row.id, channel: "email" }, jobId: emailJobId(row.id) });
    }
    // One post to the channel, not one per reviewer: it is carried by the first reviewer's row,
    // which holds the same title, body and link as every other copy.
    const carrier = mine.find((row) => recipients.get(row.userId)?.security);
    if (notice.recipients.security && config.chatWebhookUrl && carrier) {
      jobs.push({ name: "notify.send", payload: { notificationId: carrier.id, channel: "chat" }, jobId: chatJobId(carrier.id) });
    }
    return { notificationIds: mine.map((row) => row.id) };
  });
  await addOutboxJobs(tx, jobs);
  return results;
};
