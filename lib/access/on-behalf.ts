import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { queueChatSync } from "../chat/queue-chat-sync";
import { currentTime } from "../clock";
import type { Db } from "../db";
import { db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { announceAfter } from "../services/feed";
import { formatUtc } from "../time";
import { assertNoSignalHold } from "./assert-no-signal-hold";
import { createGrantForRequest } from "./create-grant";
import { assertCanOnRequest, loadRequestTarget } from "./load-request-target";

/** The person a request filed by a teammate is for (ADR 0057). */
export type TBeneficiary = { userId: string; name: string; groups: string[] };

const refuse = (message: string) => new AppError("INVALID_INPUT", message, { onBehalfOfEmail: message });

/**
 * Whom a request "for someone else" is for: an active person of the filer's own IdP who has
 * signed in, is in the policy's requester groups, and is not the filer; and only under a
 * policy that allows it. Each refusal names the field.
 */
export const resolveBeneficiary = async (options: {
  actor: TUserActor;
  email: string;
  policy: { onBehalfOfAllowed: boolean; requesterGroups: string[] };
}): Promise<TBeneficiary> => {
  const { actor, email, policy } = options;
  if (!policy.onBehalfOfAllowed) throw refuse("This policy does not take requests for someone else.");
  const me = await db.user.findUnique({ where: { id: actor.userId }, select: { issuer: true } });
  const person = me
    ? await db.user.findFirst({
        where: { issuer: me.issuer, email: { equals: email, mode: "insensitive" }, deactivatedAt: null },
        select: { id: true, name: true, groups: true },
      })
    : null;
  if (!person) throw refuse("Nobody active with that e-mail address has signed in to the portal.");
  if (person.id === actor.userId) throw refuse("That is you: leave this field empty to request for yourself.");
  if (!person.groups.some((group) => policy.requesterGroups.includes(group)))
    throw refuse(`${person.name} is not in this policy's requester groups.`);
  return { userId: person.id, name: person.name, groups: person.groups };
};

/**
 * The person a request was filed for acknowledges it (ADR 0057): one click, theirs only. Until
 * then they hold nothing, whatever the approvers decided. Acknowledged while pending, the grant
 * follows the last approval; acknowledged after the approval, the grant is created now. The
 * filer is told. Within the request's decision window only: after it, the request has expired.
 */
export const acknowledgeRequest = async (options: {
  actor: TUserActor;
  requestId: string;
  context?: TAuditContext;
  now?: Date;
}): Promise<{ grantId: string | null }> => {
  const { actor, requestId, context = {} } = options;
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };
  const target = await loadRequestTarget(db, requestId);
  await assertCanOnRequest(actor, "request.acknowledge", target, context);
  // A credential change reported by the IdP holds this as it holds a request (ADR 0040).
  await assertNoSignalHold({ actor, action: "request.acknowledge", audit });
  return db
    .$transaction(async (tx) => {
      const now = options.now ?? currentTime();
      await tx.$queryRaw`select id from "AccessRequest" where id = ${requestId} for update`;
      const request = await tx.accessRequest.findUniqueOrThrow({
        where: { id: requestId },
        include: { grant: { select: { id: true } }, resource: { select: { name: true } } },
      });
      if (request.acknowledgedAt) throw new AppError("CONFLICT", "You have already acknowledged this request.");
      if (request.status !== "PENDING" && request.status !== "APPROVED")
        throw new AppError("CONFLICT", `This request is already ${request.status.toLowerCase()}.`);
      if (now >= request.decideBy)
        throw new AppError("CONFLICT", "This request waited too long and has expired: ask for it again.");
      await tx.accessRequest.update({ where: { id: requestId }, data: { acknowledgedAt: now } });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "request.acknowledge",
        targetType: "request",
        targetId: requestId,
        outcome: "ALLOWED",
        details: { filedById: request.filedById ?? "", status: request.status },
        ...audit,
      });
      const what = `${request.permissions.join(", ")} on ${request.resource.name}`;
      let grantId: string | null = null;
      let body = `${actor.name} acknowledged the request you filed for them; it waits for the approvers.`;
      if (request.status === "APPROVED" && !request.grant) {
        const grant = await startAcknowledgedGrant(tx, { request, now });
        grantId = grant.grantId;
        body =
          grant.startsAt > now
            ? `${actor.name} acknowledged it: their access starts at ${formatUtc(grant.startsAt)}.`
            : `${actor.name} acknowledged it: their access is active now.`;
      }
      if (request.filedById)
        await notify(tx, {
          recipients: { userIds: [request.filedById] },
          kind: "request.acknowledged",
          title: `Acknowledged: ${what}`,
          body,
          link: `/requests/${requestId}`,
        });
      return { grantId };
    })
    .then(announceAfter);
};

/** The grant of an approved request filed for someone, created once they acknowledged it. */
const startAcknowledgedGrant = async (
  tx: Db,
  options: { request: Parameters<typeof createGrantForRequest>[1]["request"]; now: Date },
) => {
  const grant = await createGrantForRequest(tx, {
    request: options.request,
    now: options.now,
    actor: { type: "USER", id: options.request.requesterId },
  });
  const times = await tx.grant.findUniqueOrThrow({
    where: { id: grant.grantId },
    select: { startsAt: true, expiresAt: true },
  });
  await queueChatSync(tx, { requestId: options.request.id, grant: times, now: options.now });
  return grant;
};
