import { z } from "zod";
import { storableText } from "../storable-text";
import { recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCanOrHide, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError, isAppError } from "../errors";
import { admitStepUp, startStepUp, verifyStepUp, ZAuthenticationResponse } from "../webauthn";
import { announceAfter } from "../services/feed";
import { REVOCABLE_GRANT_INCLUDE, revokeGrantInTransaction } from "./revoke-grant-in-transaction";
import { currentTime } from "../clock";

const loadTarget = async (grantId: string) => {
  const grant = await db.grant.findUnique({ where: { id: grantId }, select: { id: true, subjectId: true } });
  if (!grant) throw new AppError("NOT_FOUND", "No such grant.");
  return { type: "grant" as const, id: grant.id, subjectId: grant.subjectId };
};

/**
 * Only the subject, security reviewers and administrators see a grant to act on it; anyone
 * else gets the answer a missing id gets, so another person's grant id is never confirmed.
 */
const assertRevocable = (actor: TUserActor, target: Awaited<ReturnType<typeof loadTarget>>, context?: TAuditContext) =>
  assertCanOrHide({ actor, action: "grant.revoke", target, visible: false, notFound: "No such grant.", context });

/** Someone else's grant is revoked only with a passkey step-up bound to that grant. */
export const startRevocation = async (options: { actor: TUserActor; grantId: string; context?: TAuditContext }) => {
  const target = await loadTarget(options.grantId);
  await assertRevocable(options.actor, target, options.context);
  if (target.subjectId === options.actor.userId) return null;
  return startStepUp({
    actor: options.actor,
    purpose: "REVOKE",
    targetType: "grant",
    targetId: target.id,
    context: options.context,
  });
};

export const ZRevokeGrant = z
  .object({
    grantId: z.string().min(1).max(64),
    reason: z.string().max(2000).transform(storableText).optional(),
    assertion: ZAuthenticationResponse.optional(),
  })
  .strict();
export type TRevokeGrant = z.input<typeof ZRevokeGrant>;

/**
 * Ends a grant now. Immediate for every check (validity is computed from revokedAt), and the
 * same end-of-grant side effects as expiry: deprovisioning webhook, audit, notices.
 */
export const revokeGrant = async (options: {
  actor: TUserActor;
  input: TRevokeGrant;
  context?: TAuditContext;
  now?: Date;
}): Promise<void> => {
  const { actor, context = {} } = options;
  const parsed = ZRevokeGrant.safeParse(options.input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Invalid revocation.");
  const { grantId, assertion } = parsed.data;
  const reason = parsed.data.reason?.trim() || null;
  const target = await loadTarget(grantId);
  await assertRevocable(actor, target, context);
  const own = target.subjectId === actor.userId;
  if (!own && (!reason || reason.length < 3))
    throw new AppError("INVALID_INPUT", "Say why you revoke this grant.", { reason: "A reason is required." });
  if (!own && !assertion) throw new AppError("FORBIDDEN", "Confirm with your passkey.", { stepUp: "required" });
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };
  const admission = !own && assertion ? await admitStepUp({ actor, context }) : null;

  try {
    await db
      .$transaction(async (tx) => {
        const now = options.now ?? currentTime();
        await tx.$queryRaw`select id from "Grant" where id = ${grantId} for update`;
        const grant = await tx.grant.findUniqueOrThrow({ where: { id: grantId }, include: REVOCABLE_GRANT_INCLUDE });
        if (grant.revokedAt) throw new AppError("CONFLICT", "This grant is already revoked.");
        if (grant.expiresAt <= now) throw new AppError("CONFLICT", "This grant has already ended.");
        const stepUp =
          !admission || !assertion
            ? null
            : await verifyStepUp({
                tx,
                admission,
                actor,
                purpose: "REVOKE",
                targetType: "grant",
                targetId: grantId,
                response: assertion,
                context,
              });

        await revokeGrantInTransaction(tx, {
          grant,
          now,
          actor: { userId: actor.userId, name: actor.name },
          reason: reason ?? (own ? "ended early by the subject" : null),
          auditReason: reason,
          details: { own, passkeyId: stepUp?.passkeyId ?? null },
          notice: own
            ? `${grant.subject.name} ended ${grant.permissions.join(", ")} on ${grant.resource.name} early.`
            : `${actor.name} revoked ${grant.subject.name}'s ${grant.permissions.join(", ")} on ${grant.resource.name}: ${reason}`,
          audit,
        });
      })
      .then(announceAfter);
  } catch (error) {
    if (isAppError(error) && error.code === "FORBIDDEN") {
      await recordAuditEvent({
        actorType: "USER",
        actorId: actor.userId,
        action: "grant.revoke",
        targetType: "grant",
        targetId: grantId,
        outcome: "DENIED",
        reason: error.message,
        ...audit,
      });
    }
    throw error;
  }
};
