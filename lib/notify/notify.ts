import { z } from "zod";
import { getConfig } from "../config";
import type { Db } from "../db";
import { addOutboxJobs } from "../queue/outbox";
import { currentTime } from "../clock";

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

/** The job that sends one copy of a notification. */
export const notificationJob = (notificationId: string, channel: string) => {
  if (channel !== "email" && channel !== "chat") throw new Error(`unknown notification channel ${channel}`);
  return {
    name: "notify.send" as const,
    payload: { notificationId, channel },
    jobId: channel === "email" ? emailJobId(notificationId) : chatJobId(notificationId),
  };
};

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

  const named =
    namedIds.length > 0
      ? await tx.user.findMany({ where: { id: { in: namedIds } }, select: { id: true, deactivatedAt: true } })
      : [];
  const reviewers =
    anySecurity && config.securityGroups.length > 0
      ? await tx.user.findMany({
          where: { deactivatedAt: null, groups: { hasSome: config.securityGroups } },
          select: { id: true },
          orderBy: { id: "asc" },
        })
      : [];
  const activeById = new Map(named.map((user) => [user.id, user.deactivatedAt === null]));

  // Per notice: its recipients, each once, and whether they are there as security reviewers.
  const planned = notices.map((notice) => {
    const recipients = new Map<string, { active: boolean; security: boolean }>();
    for (const userId of notice.recipients.userIds ?? []) {
      const active = activeById.get(userId);
      if (active !== undefined) recipients.set(userId, { active, security: false });
    }
    if (notice.recipients.security)
      for (const user of reviewers) recipients.set(user.id, { active: true, security: true });
    return { notice, recipients };
  });
  // The chat copy rides on the first security reviewer's row (one post, not one per reviewer).
  const chatCarrier = (
    notice: (typeof notices)[number],
    recipients: Map<string, { active: boolean; security: boolean }>,
  ): string | undefined =>
    notice.recipients.security && config.chatWebhookUrl
      ? [...recipients].find(([, recipient]) => recipient.security)?.[0]
      : undefined;
  const data = planned.flatMap(({ notice, recipients }) => {
    const carrier = chatCarrier(notice, recipients);
    return [...recipients].map(([userId, recipient]) => ({
      userId,
      kind: notice.kind,
      title: notice.title,
      body: notice.body,
      link: notice.link ?? null,
      createdAt: currentTime(),
      channels: [...(recipient.active && config.smtpUrl ? ["email"] : []), ...(userId === carrier ? ["chat"] : [])],
    }));
  });
  if (data.length === 0) return notices.map(() => ({ notificationIds: [] }));
  const rows = await tx.notification.createManyAndReturn({ data, select: { id: true, userId: true, channels: true } });
  if (rows.length !== data.length || rows.some((row, index) => row.userId !== data[index]?.userId))
    throw new Error("notifyMany: rows came back out of order");

  // createManyAndReturn answers in insertion order: walk the plan in the same order.
  const jobs = rows.flatMap((row) => row.channels.map((channel) => notificationJob(row.id, channel)));
  let next = 0;
  const results = planned.map(({ recipients }) => {
    const mine = rows.slice(next, next + recipients.size);
    next += recipients.size;
    return { notificationIds: mine.map((row) => row.id) };
  });
  await addOutboxJobs(tx, jobs);
  return results;
};
