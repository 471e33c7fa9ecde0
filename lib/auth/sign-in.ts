import { appendAuditEvent, recordAuditEvent } from "../audit";
import { getConfig } from "../config";
import { db } from "../db";
import { AppError } from "../errors";
import type { TIdentity } from "./claims";

export type TRequestContext = { ip?: string | null; userAgent?: string | null; requestId?: string | null };

/**
 * A verified sign-in from the IdP: creates the user on first sign-in (keyed by issuer and
 * subject), refreshes email, name and groups, and opens a session. A deactivated user is
 * refused. One transaction with its audit event.
 */
export const signInUser = async (options: {
  issuer: string;
  identity: TIdentity;
  context?: TRequestContext;
  now?: Date;
}): Promise<{ userId: string; sessionId: string }> => {
  const { issuer, identity, context = {} } = options;
  const now = options.now ?? new Date();
  const config = getConfig();
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };

  const existing = await db.user.findUnique({
    where: { issuer_subject: { issuer, subject: identity.subject } },
    select: { id: true, deactivatedAt: true },
  });
  if (existing?.deactivatedAt) {
    await recordAuditEvent({
      actorType: "USER",
      actorId: existing.id,
      action: "auth.sign_in",
      targetType: "user",
      targetId: existing.id,
      outcome: "DENIED",
      reason: "user is deactivated",
      ...audit,
    });
    throw new AppError("FORBIDDEN", "This account is deactivated. Ask an administrator of the portal.");
  }

  return db.$transaction(async (tx) => {
    const user = await tx.user.upsert({
      where: { issuer_subject: { issuer, subject: identity.subject } },
      create: {
        issuer,
        subject: identity.subject,
        email: identity.email,
        name: identity.name,
        groups: identity.groups,
        lastSignInAt: now,
      },
      update: { email: identity.email, name: identity.name, groups: identity.groups, lastSignInAt: now },
      select: { id: true, deactivatedAt: true },
    });
    // Deactivated between the check above and now: refuse, and record nothing but the denial.
    if (user.deactivatedAt) throw new AppError("FORBIDDEN", "This account is deactivated.");
    const session = await tx.session.create({
      data: {
        userId: user.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + config.session.maxMs),
        ip: context.ip ?? null,
        userAgent: context.userAgent?.slice(0, 500) ?? null,
      },
      select: { id: true },
    });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: user.id,
      action: "auth.sign_in",
      targetType: "session",
      targetId: session.id,
      outcome: "ALLOWED",
      details: {
        issuer,
        subject: identity.subject,
        email: identity.email,
        groups: identity.groups,
        created: !existing,
      },
      ...audit,
    });
    return { userId: user.id, sessionId: session.id };
  });
};
