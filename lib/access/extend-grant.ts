/**
 * More time on a live grant goes through the grant's own policy: the same approvers, the same
 * passkey-confirmed decisions, the same auto-approval rule, and never beyond the policy's
 * maximum total duration. When approved, the expiry moves, its jobs move with it (the old
 * expiry job finds the grant not yet due and does nothing), and target systems hear
 * `grant.extended`.
 */
import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db, type Db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { formatUtc } from "../time";
import { enforceRateLimit } from "../security/rate-limits";
import { queueGrantWebhooks } from "../webhooks";
import { scheduleGrantLifecycle } from "./lifecycle";
import { fieldErrors } from "./schemas";
import { announceAfter } from "../services/feed";

export const ZRequestExtension = z
  .object({
    grantId: z.string().min(1).max(64),
    minutes: z.coerce.number({ error: "Enter minutes." }).int("Whole minutes only.").min(5, "At least 5 minutes."),
    justification: z.string().max(2000, "At most 2000 characters."),
  })
  .strict();
export type TRequestExtension = z.input<typeof ZRequestExtension>;

/** How many more minutes the policy allows on this grant. */
export const extensionHeadroomMinutes = (
  grant: { startsAt: Date; expiresAt: Date },
  maxDurationMinutes: number,
): number =>
  Math.max(0, maxDurationMinutes - Math.ceil((grant.expiresAt.getTime() - grant.startsAt.getTime()) / 60_000));

/** Applies an approved extension inside the deciding transaction. */
export const applyExtension = async (
  tx: Db,
  options: {
    grantId: string;
    minutes: number;
    requestId: string;
    now: Date;
    actor: { type: "USER" | "SYSTEM"; id: string };
  },
): Promise<{ expiresAt: Date }> => {
  await tx.$queryRaw`select id from "Grant" where id = ${options.grantId} for update`;
  const grant = await tx.grant.findUniqueOrThrow({ where: { id: options.grantId } });
  if (grant.revokedAt || grant.expiresAt <= options.now)
    throw new AppError("CONFLICT", "The grant this extension is for has already ended.");
  const expiresAt = new Date(grant.expiresAt.getTime() + options.minutes * 60_000);
  await tx.grant.update({ where: { id: grant.id }, data: { expiresAt } });
  await tx.grantLifecycleEvent.createMany({
    data: [{ grantId: grant.id, kind: "EXTENDED", at: expiresAt }],
    skipDuplicates: true,
  });
  await appendAuditEvent(tx, {
    actorType: options.actor.type,
    actorId: options.actor.id,
    action: "grant.extended",
    targetType: "grant",
    targetId: grant.id,
    outcome: "ALLOWED",
    details: {
      requestId: options.requestId,
      previousExpiresAt: grant.expiresAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      minutes: options.minutes,
    },
  });
  await scheduleGrantLifecycle(
    tx,
    { id: grant.id, startsAt: grant.startsAt, expiresAt },
    { moved: { now: options.now } },
  );
  await queueGrantWebhooks(tx, {
    grantId: grant.id,
    eventType: "grant.extended",
    occurredAt: options.now,
    data: { previousExpiresAt: grant.expiresAt },
  });
  await notify(tx, {
    recipients: { userIds: [grant.subjectId] },
    kind: "grant.extended",
    title: `Access extended by ${options.minutes} min`,
    body: `It now ends at ${formatUtc(expiresAt)}.`,
    link: `/requests/${options.requestId}`,
  });
  return { expiresAt };
};

/** The subject asks for more time on their live grant. */
export const requestExtension = async (options: {
  actor: TUserActor;
  input: TRequestExtension;
  context?: TAuditContext;
  now?: Date;
}) => {
  const { actor, context = {} } = options;
  const now = options.now ?? new Date();
  const parsed = ZRequestExtension.safeParse(options.input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Check the highlighted fields.", fieldErrors(parsed.error));
  const input = parsed.data;
  // An extension is a request like any other: the same limits.
  await enforceRateLimit({ flow: "request.create", userId: actor.userId, context, now });
  const grant = await db.grant.findUnique({
    where: { id: input.grantId },
    include: { request: { include: { policy: true } }, resource: { select: { key: true, name: true } } },
  });
  // Someone else's grant is indistinguishable from an unknown one.
  if (!grant || grant.subjectId !== actor.userId) throw new AppError("NOT_FOUND", "No such grant.");
  if (grant.revokedAt || grant.expiresAt <= now)
    throw new AppError("CONFLICT", "This grant has ended; request access again.");
  if (!grant.request) throw new AppError("CONFLICT", "This grant was not made from a request and cannot be extended.");
  const policy = grant.request.policy;
  const fields: Record<string, string> = {};
  const headroom = extensionHeadroomMinutes(grant, policy.maxDurationMinutes);
  if (input.minutes > headroom)
    fields.minutes =
      headroom === 0
        ? `This grant is already at the policy's maximum of ${policy.maxDurationMinutes} minutes.`
        : `At most ${headroom} more minutes under this policy.`;
  const justification = input.justification.trim();
  if (justification.length < policy.minJustificationLength)
    fields.justification = `Explain why in at least ${policy.minJustificationLength} characters.`;
  if (Object.keys(fields).length > 0) throw new AppError("INVALID_INPUT", "Check the highlighted fields.", fields);
  const autoApprove =
    actor.groups.some((group) => policy.autoApproveGroups.includes(group)) &&
    grant.permissions.every((permission) => policy.autoApprovePermissions.includes(permission));
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };

  return db
    .$transaction(async (tx) => {
      await tx.$executeRaw`select pg_advisory_xact_lock(hashtext(${`extend:${grant.id}`}))`;
      const pending = await tx.accessRequest.findFirst({
        where: { extendsGrantId: grant.id, status: "PENDING" },
        select: { id: true },
      });
      if (pending)
        throw new AppError("CONFLICT", "An extension of this grant is already waiting for a decision.", {
          existing: pending.id,
        });
      const request = await tx.accessRequest.create({
        data: {
          requesterId: actor.userId,
          resourceId: grant.resourceId,
          policyId: policy.id,
          permissions: grant.permissions,
          justification,
          ticket: grant.request?.ticket ?? null,
          durationMinutes: input.minutes,
          extendsGrantId: grant.id,
          status: autoApprove ? "APPROVED" : "PENDING",
          decideBy: new Date(
            Math.min(now.getTime() + policy.decisionWindowMinutes * 60_000, grant.expiresAt.getTime()),
          ),
          decidedAt: autoApprove ? now : null,
          createdAt: now,
        },
        select: { id: true },
      });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "grant.extension_request",
        targetType: "request",
        targetId: request.id,
        outcome: "ALLOWED",
        details: { grantId: grant.id, minutes: input.minutes, autoApproved: autoApprove },
        ...audit,
      });
      if (autoApprove) {
        await applyExtension(tx, {
          grantId: grant.id,
          minutes: input.minutes,
          requestId: request.id,
          now,
          actor: { type: "SYSTEM", id: "auto-approval" },
        });
        return { requestId: request.id, status: "APPROVED" as const };
      }
      const approvers = await tx.user.findMany({
        where: { groups: { hasSome: policy.approverGroups }, deactivatedAt: null, id: { not: actor.userId } },
        select: { id: true },
      });
      if (approvers.length > 0) {
        await notify(tx, {
          recipients: { userIds: approvers.map((approver) => approver.id) },
          kind: "request.waiting",
          title: `${actor.name} asks ${input.minutes} more min of ${grant.permissions.join(", ")} on ${grant.resource.key}`,
          body: justification,
          link: `/requests/${request.id}`,
        });
      }
      return { requestId: request.id, status: "PENDING" as const };
    })
    .then(announceAfter);
};
