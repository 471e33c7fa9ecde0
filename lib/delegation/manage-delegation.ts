import { holdsApproverRole } from "../access/eligibility";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { currentTime } from "../clock";
import { db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { formatUtc } from "../time";
import {
  MAX_DELEGATION_DAYS,
  MAX_DELEGATION_LEAD_DAYS,
  ZCreateDelegation,
  ZEndDelegation,
  type TCreateDelegation,
} from "./schemas";

const DAY_MS = 86_400_000;
// A start "now" typed a moment ago arrives a little in the past.
const START_SLACK_MS = 5 * 60_000;
const NO_SUCH_DELEGATION = "No such delegation.";

const auditFields = (context: TAuditContext) => ({
  ip: context.ip ?? null,
  userAgent: context.userAgent ?? null,
  requestId: context.requestId ?? null,
});

const invalid = (field: string, message: string) => new AppError("INVALID_INPUT", message, { [field]: message });

/**
 * Hands the actor's approvals to another approver for a period (ADR 0056): an out-of-office
 * cover. The delegate must be an active approver; a person has at most one delegation at a
 * time (no overlapping windows), so "who decides for me" has one answer. Audited, and both
 * people are told.
 */
export const createDelegation = async (options: {
  actor: TUserActor;
  input: TCreateDelegation;
  context?: TAuditContext;
  now?: Date;
}): Promise<{ delegationId: string }> => {
  const { actor, context = {} } = options;
  await assertCan(actor, "delegation.create", undefined, context);
  const parsed = ZCreateDelegation.safeParse(options.input);
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((issue) => [String(issue.path[0]), issue.message]));
    throw new AppError("INVALID_INPUT", "Check the delegation's fields.", fields);
  }
  const input = parsed.data;
  const now = options.now ?? currentTime();
  const startsAt = input.startsAt ? new Date(input.startsAt) : now;
  const endsAt = new Date(input.endsAt);
  if (startsAt.getTime() < now.getTime() - START_SLACK_MS)
    throw invalid("startsAt", "A delegation cannot start in the past.");
  if (startsAt.getTime() > now.getTime() + MAX_DELEGATION_LEAD_DAYS * DAY_MS)
    throw invalid("startsAt", `A delegation starts at most ${MAX_DELEGATION_LEAD_DAYS} days ahead.`);
  if (endsAt <= startsAt) throw invalid("endsAt", "The end must be after the start.");
  if (endsAt.getTime() - startsAt.getTime() > MAX_DELEGATION_DAYS * DAY_MS)
    throw invalid("endsAt", `A delegation lasts at most ${MAX_DELEGATION_DAYS} days.`);

  return db.$transaction(async (tx) => {
    // One delegation change per person at a time: the overlap check below cannot race.
    const [me] = await tx.$queryRaw<Array<{ issuer: string }>>`
      select issuer from "User" where id = ${actor.userId} for update`;
    if (!me) throw new AppError("NOT_FOUND", "Your account is gone.");
    const delegate = await tx.user.findFirst({
      where: { issuer: me.issuer, email: { equals: input.delegateEmail, mode: "insensitive" } },
      select: { id: true, name: true, groups: true, deactivatedAt: true },
    });
    if (!delegate || delegate.deactivatedAt)
      throw invalid("delegateEmail", "Nobody active with that e-mail address has signed in to the portal.");
    if (delegate.id === actor.userId) throw invalid("delegateEmail", "You cannot delegate to yourself.");
    if (!(await holdsApproverRole(tx, delegate.groups)))
      throw invalid("delegateEmail", `${delegate.name} is not an approver: delegate to someone who approves requests.`);
    const overlapping = await tx.approvalDelegation.findFirst({
      where: { delegatorId: actor.userId, endedAt: null, startsAt: { lt: endsAt }, endsAt: { gt: startsAt } },
      select: { id: true },
    });
    if (overlapping)
      throw new AppError("CONFLICT", "You already have a delegation in that period: end it first.", {
        existing: overlapping.id,
      });
    const delegation = await tx.approvalDelegation.create({
      data: {
        delegatorId: actor.userId,
        delegateId: delegate.id,
        startsAt,
        endsAt,
        reason: input.reason,
        createdAt: now,
      },
      select: { id: true },
    });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "delegation.create",
      targetType: "delegation",
      targetId: delegation.id,
      outcome: "ALLOWED",
      reason: input.reason,
      details: { delegateId: delegate.id, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString() },
      ...auditFields(context),
    });
    await notify(tx, {
      recipients: { userIds: [delegate.id] },
      kind: "delegation.received",
      title: `${actor.name} delegated their approvals to you`,
      body: `From ${formatUtc(startsAt)} to ${formatUtc(endsAt)} you may decide the requests ${actor.name} could decide, never your own or theirs. Reason: ${input.reason}`,
      link: "/delegations",
    });
    return { delegationId: delegation.id };
  });
};

/**
 * Ends a delegation before its time: its delegator, or security and administrators. From the
 * commit on, the delegate decides nothing more as the delegator; what they already decided
 * stays decided (and audited as theirs, for the delegator).
 */
export const endDelegation = async (options: {
  actor: TUserActor;
  input: { delegationId: string };
  context?: TAuditContext;
  now?: Date;
}): Promise<void> => {
  const { actor, context = {} } = options;
  const parsed = ZEndDelegation.safeParse(options.input);
  if (!parsed.success) throw new AppError("NOT_FOUND", NO_SUCH_DELEGATION);
  const { delegationId } = parsed.data;
  const now = options.now ?? currentTime();
  const found = await db.approvalDelegation.findUnique({
    where: { id: delegationId },
    select: { delegatorId: true, delegateId: true },
  });
  // The delegate is told of the delegation, so they may know it exists; anyone else gets NOT_FOUND.
  const mayKnow =
    found &&
    (found.delegatorId === actor.userId ||
      found.delegateId === actor.userId ||
      actor.roles.includes("admin") ||
      actor.roles.includes("security"));
  if (!found || !mayKnow) throw new AppError("NOT_FOUND", NO_SUCH_DELEGATION);
  await assertCan(
    actor,
    "delegation.end",
    { type: "delegation", id: delegationId, delegatorId: found.delegatorId },
    context,
  );
  await db.$transaction(async (tx) => {
    const ended = await tx.approvalDelegation.updateManyAndReturn({
      where: { id: delegationId, endedAt: null, endsAt: { gt: now } },
      data: { endedAt: now, endedById: actor.userId },
      select: { delegatorId: true, delegateId: true, delegator: { select: { name: true } } },
    });
    const row = ended[0];
    if (!row) throw new AppError("CONFLICT", "This delegation has already ended.");
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "delegation.end",
      targetType: "delegation",
      targetId: delegationId,
      outcome: "ALLOWED",
      details: { delegatorId: row.delegatorId, delegateId: row.delegateId },
      ...auditFields(context),
    });
    const others = [row.delegateId, row.delegatorId].filter((id) => id !== actor.userId);
    await notify(tx, {
      recipients: { userIds: others },
      kind: "delegation.ended",
      title: `Delegation of ${row.delegator.name}'s approvals ended`,
      body: `Ended by ${actor.name} at ${formatUtc(now)}.`,
      link: "/delegations",
    });
  });
};
