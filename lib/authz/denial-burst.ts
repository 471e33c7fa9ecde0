import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { db } from "../db";
import { notify } from "../notify";

export const DENIAL_BURST_ALERT = "security.denied_burst";

export type TDenialBurstRule = { threshold: number; windowMs: number };

/**
 * After a denial: when this person has been denied `threshold` times or more within the
 * window (every DENIED audit event of theirs counts: authorization denials, refused passkey
 * confirmations, ineligible requests), security reviewers are alerted on every channel, once
 * per window, not once per denial. The SecurityAlert row is the latch; a per-person lock
 * makes two concurrent denials agree on which one alerts.
 */
export const checkDenialBurst = async (options: {
  userId: string;
  now?: Date;
  rule?: TDenialBurstRule;
}): Promise<{ alerted: boolean; count: number }> => {
  const { userId } = options;
  const now = options.now ?? new Date();
  const rule = options.rule ?? getConfig().denialBurst;
  const since = new Date(now.getTime() - rule.windowMs);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`select pg_advisory_xact_lock(hashtext(${`alert:denials:${userId}`}))`;
    const count = await tx.auditEvent.count({
      where: { actorType: "USER", actorId: userId, outcome: "DENIED", occurredAt: { gt: since } },
    });
    if (count < rule.threshold) return { alerted: false, count };
    const recent = await tx.securityAlert.findFirst({
      where: { kind: DENIAL_BURST_ALERT, subject: userId, createdAt: { gt: since } },
      select: { id: true },
    });
    if (recent) return { alerted: false, count };
    await tx.securityAlert.create({
      data: { kind: DENIAL_BURST_ALERT, subject: userId, windowStart: since, count, createdAt: now },
    });
    const user = await tx.user.findUnique({ where: { id: userId }, select: { name: true, email: true } });
    const who = user ? `${user.name} (${user.email})` : `user ${userId}`;
    const minutes = Math.round(rule.windowMs / 60_000);
    await notify(tx, {
      recipients: { security: true },
      kind: DENIAL_BURST_ALERT,
      title: `${count} denied attempts by ${who} within ${minutes} min`,
      body: `${who} was refused ${count} times in the last ${minutes} minutes (alert threshold ${rule.threshold}). Their audit events show what they tried. No further alert for them in this window.`,
      link: "/security",
    });
    await appendAuditEvent(tx, {
      actorType: "SYSTEM",
      actorId: "denial-burst",
      action: "security.alert",
      targetType: "user",
      targetId: userId,
      outcome: "ALLOWED",
      reason: `${count} denied attempts within ${minutes} minutes`,
      details: { kind: DENIAL_BURST_ALERT, count, threshold: rule.threshold, windowMinutes: minutes },
    });
    return { alerted: true, count };
  });
};

/** For callers that must not fail because the alert could not be raised: logs instead. */
export const checkDenialBurstSafely = async (userId: string): Promise<void> => {
  try {
    await checkDenialBurst({ userId });
  } catch (error) {
    console.error("could not check for a burst of denials:", error);
  }
};
