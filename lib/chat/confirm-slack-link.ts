/**
 * The person types back the code the portal sent by Slack DM (start-slack-link.ts, ADR 0046).
 * The code is looked up by the signed-in person only, so nobody can confirm, or change, another
 * person's link. A right code links the member id (replacing what users.lookupByEmail found);
 * a wrong one counts against the code, an expired or used one is refused. Each outcome is audited.
 */
import { timingSafeEqual } from "node:crypto";
import { appendAuditEvent, recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError, isAppError } from "../errors";
import { hashSlackLinkCode, SLACK_LINK_MAX_ATTEMPTS, slackAuditFields } from "./start-slack-link";

type TConfirmSlackLinkOptions = { actor: TUserActor; code: string; context?: TAuditContext; now?: Date };

const sameHash = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

export const confirmSlackLink = async ({
  actor,
  code: raw,
  context,
  now = new Date(),
}: TConfirmSlackLinkOptions): Promise<{ slackUserId: string }> => {
  const code = typeof raw === "string" ? raw.replace(/\s+/g, "") : "";
  if (!/^\d{6}$/.test(code))
    throw new AppError("INVALID_INPUT", "The code is six digits.", { code: "Type the six digits from the Slack DM." });
  let target: string | null = null;
  try {
    return await db.$transaction(async (tx) => {
      // The newest code of this person only; locked so two confirmations cannot both use it.
      const [pending] = await tx.$queryRaw<
        Array<{ id: string; slackUserId: string; codeHash: string; attempts: number; expiresAt: Date }>
      >`select id, "slackUserId", "codeHash", attempts, "expiresAt" from "SlackLinkCode"
         where "userId" = ${actor.userId} and "usedAt" is null
         order by "createdAt" desc limit 1 for update`;
      if (!pending)
        throw new AppError(
          "CONFLICT",
          "No code is waiting: it was used already, replaced or never sent. Ask for a new one.",
        );
      target = pending.slackUserId;
      if (pending.expiresAt <= now) throw new AppError("CONFLICT", "This code has expired. Ask for a new one.");
      if (pending.attempts >= SLACK_LINK_MAX_ATTEMPTS)
        throw new AppError("CONFLICT", "Too many wrong codes. Ask for a new one.");
      if (!sameHash(hashSlackLinkCode(code), pending.codeHash)) throw new AppError("FORBIDDEN", "That code is wrong.");
      // Never two people at once (docs/design.md): a member id linked to someone else stays theirs.
      const taken = await tx.slackUserLink.findFirst({
        where: { slackUserId: pending.slackUserId, userId: { not: actor.userId } },
        select: { userId: true },
      });
      if (taken) throw new AppError("CONFLICT", "That Slack member is linked to another person. Ask an administrator.");
      await tx.slackLinkCode.update({ where: { id: pending.id }, data: { usedAt: now } });
      await tx.slackUserLink.upsert({
        where: { userId: actor.userId },
        create: { userId: actor.userId, slackUserId: pending.slackUserId, source: "explicit" },
        update: { slackUserId: pending.slackUserId, source: "explicit", createdAt: now },
      });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "chat.slack_link.confirm",
        targetType: "slack_user",
        targetId: pending.slackUserId,
        outcome: "ALLOWED",
        ...slackAuditFields(context),
      });
      return { slackUserId: pending.slackUserId };
    });
  } catch (error) {
    if (isAppError(error) && (error.code === "FORBIDDEN" || error.code === "CONFLICT")) {
      // A wrong guess counts even though the transaction above rolled back.
      if (error.code === "FORBIDDEN")
        await db.slackLinkCode.updateMany({
          where: { userId: actor.userId, usedAt: null, slackUserId: target ?? "" },
          data: { attempts: { increment: 1 } },
        });
      await recordAuditEvent({
        actorType: "USER",
        actorId: actor.userId,
        action: "chat.slack_link.confirm",
        targetType: "slack_user",
        targetId: target,
        outcome: "DENIED",
        reason: error.message,
        ...slackAuditFields(context),
      });
    }
    throw error;
  }
};
