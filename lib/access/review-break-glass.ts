import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { parseRiskSignals } from "../risk";
import { grantStatus } from "./grant-status";
import { currentTime } from "../clock";

/** Security reviewers: break-glass grants nobody has signed off yet, oldest first. */
export const listUnreviewedBreakGlass = async (options: { actor: TUserActor; now?: Date; context?: TAuditContext }) => {
  await assertCan(options.actor, "security.view", undefined, options.context);
  const now = options.now ?? currentTime();
  const grants = await db.grant.findMany({
    where: { breakGlass: true, reviewedAt: null },
    orderBy: { createdAt: "asc" },
    take: 200,
    include: {
      subject: { select: { id: true, name: true, email: true } },
      resource: { select: { key: true, name: true, environment: true } },
      request: {
        select: {
          id: true,
          justification: true,
          ticket: true,
          durationMinutes: true,
          riskScore: true,
          riskSignals: true,
        },
      },
    },
  });
  return grants.map((grant) => ({
    id: grant.id,
    subject: grant.subject,
    resource: grant.resource,
    permissions: grant.permissions,
    startsAt: grant.startsAt,
    expiresAt: grant.expiresAt,
    revokedAt: grant.revokedAt,
    status: grantStatus(grant, now),
    requestId: grant.request?.id ?? null,
    justification: grant.request?.justification ?? "",
    ticket: grant.request?.ticket ?? null,
    riskScore: grant.request?.riskScore ?? 0,
    riskSignals: parseRiskSignals(grant.request?.riskSignals),
    /** The reviewer may not sign off their own break-glass access. */
    canSignOff: options.actor.userId !== grant.subjectId,
  }));
};
export type TUnreviewedBreakGlass = Awaited<ReturnType<typeof listUnreviewedBreakGlass>>[number];

export const ZSignOffBreakGlass = z
  .object({
    grantId: z.string().min(1).max(64),
    comment: z
      .string()
      .trim()
      .min(10, "Say what you checked, in at least 10 characters.")
      .max(2000, "At most 2000 characters."),
  })
  .strict();
export type TSignOffBreakGlass = z.input<typeof ZSignOffBreakGlass>;

/**
 * The post-incident review: a security reviewer (not the grant's subject) signs a
 * break-glass grant off with a comment, once. One transaction with its audit event; a
 * second sign-off, concurrent or later, is a CONFLICT.
 */
export const signOffBreakGlass = async (options: {
  actor: TUserActor;
  input: TSignOffBreakGlass;
  context?: TAuditContext;
  now?: Date;
}): Promise<{ reviewedAt: Date }> => {
  const { actor, context = {} } = options;
  await assertCan(actor, "security.view", undefined, context);
  const parsed = ZSignOffBreakGlass.safeParse(options.input);
  if (!parsed.success) {
    const comment = parsed.error.issues.find((issue) => issue.path[0] === "comment")?.message;
    throw new AppError("INVALID_INPUT", comment ?? "Invalid sign-off.", comment ? { comment } : {});
  }
  const { grantId, comment } = parsed.data;
  const grant = await db.grant.findUnique({
    where: { id: grantId },
    select: { id: true, subjectId: true, breakGlass: true },
  });
  if (!grant?.breakGlass) throw new AppError("NOT_FOUND", "No such break-glass grant.");
  await assertCan(actor, "breakglass.review", { type: "grant", id: grant.id, subjectId: grant.subjectId }, context);

  return db.$transaction(async (tx) => {
    const now = options.now ?? currentTime();
    // Conditional on "not yet reviewed": of two reviewers at once, exactly one signs off.
    const { count } = await tx.grant.updateMany({
      where: { id: grant.id, breakGlass: true, reviewedAt: null },
      data: { reviewedAt: now, reviewedById: actor.userId, reviewComment: comment },
    });
    if (count === 0) throw new AppError("CONFLICT", "This break-glass grant is already signed off.");
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "grant.break_glass_reviewed",
      targetType: "grant",
      targetId: grant.id,
      outcome: "ALLOWED",
      reason: comment,
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      requestId: context.requestId ?? null,
    });
    return { reviewedAt: now };
  });
};
