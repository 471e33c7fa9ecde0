import { appendAuditEvent, recordAuditEvent } from "../audit";
import { getConfig } from "../config";
import { db, Prisma } from "../db";
import { AppError } from "../errors";
import type { TIdentity } from "./claims";
import { currentTime } from "../clock";

export type TRequestContext = { ip?: string | null; userAgent?: string | null; requestId?: string | null };

export const EMAIL_IN_USE_MESSAGE =
  "This e-mail address already belongs to another account in the portal, so this account cannot sign in. Ask an administrator of the portal.";

type TEmailAvailableOptions = { issuer: string; identity: TIdentity; context?: TRequestContext };

/**
 * A verified e-mail names one person per issuer (docs/decisions/0027): another account
 * asserting an address someone else holds is refused, with an audit event naming both. False
 * when refused. The unique index on (issuer, email) holds the line under races too.
 */
export const checkEmailAvailable = async ({ issuer, identity, context = {} }: TEmailAvailableOptions) => {
  if (!identity.email) return true;
  const holder = await db.user.findFirst({
    where: { issuer, email: identity.email, subject: { not: identity.subject } },
    select: { id: true },
  });
  if (!holder) return true;
  const existing = await db.user.findUnique({
    where: { issuer_subject: { issuer, subject: identity.subject } },
    select: { id: true },
  });
  await recordAuditEvent({
    actorType: existing ? "USER" : "ANONYMOUS",
    actorId: existing?.id ?? null,
    action: "auth.sign_in",
    targetType: "user",
    targetId: holder.id,
    outcome: "DENIED",
    reason: "the verified e-mail belongs to another account",
    details: { issuer, subject: identity.subject, email: identity.email, holder: holder.id },
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
    requestId: context.requestId ?? null,
  });
  return false;
};

const isUniqueViolation = (error: unknown): boolean =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

/**
 * A verified sign-in from the IdP: creates the user on first sign-in (keyed by issuer and
 * subject), refreshes email (verified only, else none), name and groups, and opens a session.
 * A deactivated user is refused, and so is an account asserting a verified e-mail another
 * account holds (CONFLICT, audited). One transaction with its audit event.
 */
export const signInUser = async (options: {
  issuer: string;
  identity: TIdentity;
  context?: TRequestContext;
  now?: Date;
}): Promise<{ userId: string; sessionId: string }> => {
  const { issuer, identity, context = {} } = options;
  const now = options.now ?? currentTime();
  const config = getConfig();
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };

  const existing = await db.user.findUnique({
    where: { issuer_subject: { issuer, subject: identity.subject } },
    select: { id: true, deactivatedAt: true, directoryId: true },
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
  if (!(await checkEmailAvailable({ issuer, identity, context }))) throw new AppError("CONFLICT", EMAIL_IN_USE_MESSAGE);

  const open = () =>
    db.$transaction(async (tx) => {
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
        // A person a directory connection manages (SCIM) keeps the directory's groups: the ID
        // token's groups claim is not their source (docs/decisions/0038-scim-directory-sync.md).
        update: {
          email: identity.email,
          name: identity.name,
          ...(existing?.directoryId ? {} : { groups: identity.groups }),
          lastSignInAt: now,
        },
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
          ...(identity.claimedEmail ? { unverifiedEmail: identity.claimedEmail } : {}),
          groups: identity.groups,
          created: !existing,
        },
        ...audit,
      });
      return { userId: user.id, sessionId: session.id };
    });
  try {
    return await open();
  } catch (error) {
    // Two accounts claiming one address at the same instant: the index let one through.
    if (!isUniqueViolation(error)) throw error;
    await checkEmailAvailable({ issuer, identity, context });
    throw new AppError("CONFLICT", EMAIL_IN_USE_MESSAGE);
  }
};
