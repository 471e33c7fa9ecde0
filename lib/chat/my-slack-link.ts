/**
 * A person's own Slack link (ADR 0046): what the portal's Chat section shows, and unlinking.
 * Both are scoped to the signed-in person in the `where`.
 */
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { slackAuditFields } from "./start-slack-link";

export type TMySlackLink = {
  link: { slackUserId: string; source: "explicit" | "email"; since: Date } | null;
  /** A code sent and not yet used, if any. */
  pendingFor: { slackUserId: string; expiresAt: Date } | null;
};

export const getMySlackLink = async ({ actor, now = new Date() }: { actor: TUserActor; now?: Date }) => {
  const [link, pending] = await Promise.all([
    db.slackUserLink.findUnique({ where: { userId: actor.userId } }),
    db.slackLinkCode.findFirst({
      where: { userId: actor.userId, usedAt: null, expiresAt: { gt: now } },
      orderBy: { createdAt: "desc" },
      select: { slackUserId: true, expiresAt: true },
    }),
  ]);
  const answer: TMySlackLink = {
    link: link
      ? {
          slackUserId: link.slackUserId,
          source: link.source === "explicit" ? "explicit" : "email",
          since: link.createdAt,
        }
      : null,
    pendingFor: pending,
  };
  return answer;
};

/** Removes the person's link; the next approval DM looks them up by verified e-mail again. */
export const unlinkSlack = async ({ actor, context }: { actor: TUserActor; context?: TAuditContext }) => {
  await db.$transaction(async (tx) => {
    const link = await tx.slackUserLink.findUnique({ where: { userId: actor.userId } });
    if (!link) throw new AppError("NOT_FOUND", "No such Slack link: you have none.");
    await tx.slackUserLink.delete({ where: { userId: actor.userId } });
    await tx.slackLinkCode.updateMany({ where: { userId: actor.userId, usedAt: null }, data: { usedAt: new Date() } });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "chat.slack_link.remove",
      targetType: "slack_user",
      targetId: link.slackUserId,
      outcome: "ALLOWED",
      ...slackAuditFields(context),
    });
  });
};
