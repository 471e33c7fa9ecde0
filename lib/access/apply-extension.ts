/**
 * An approved extension moves the grant's expiry, inside the transaction that approved it
 * (auto-approval in requestExtension, the last approval in decideRequest). The grant row is
 * locked and the policy's maximum re-checked against the grant as it is now, so no sequence
 * of approvals can take a grant past the maximum. Extending a break-glass grant alerts
 * security as taking it did (docs/decisions/0026-rules-hold-for-a-grants-whole-life.md).
 */
import { appendAuditEvent } from "../audit";
import type { Db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { formatUtc } from "../time";
import { queueGrantWebhooks } from "../webhooks";
import { scheduleGrantLifecycle } from "./lifecycle";

/** How many more minutes the policy allows on this grant. */
export const extensionHeadroomMinutes = (
  grant: { startsAt: Date; expiresAt: Date },
  maxDurationMinutes: number,
): number =>
  Math.max(0, maxDurationMinutes - Math.ceil((grant.expiresAt.getTime() - grant.startsAt.getTime()) / 60_000));

/** The grant, locked for this transaction, with what an extension decision needs of it. */
export const lockGrantForExtension = async (tx: Db, grantId: string) => {
  await tx.$queryRaw`select id from "Grant" where id = ${grantId} for update`;
  return tx.grant.findUniqueOrThrow({
    where: { id: grantId },
    include: {
      request: { include: { policy: true } },
      resource: { select: { key: true, name: true, archivedAt: true } },
      subject: { select: { name: true, deactivatedAt: true } },
    },
  });
};

type TApplyExtensionOptions = {
  grantId: string;
  minutes: number;
  requestId: string;
  now: Date;
  actor: { type: "USER" | "SYSTEM"; id: string };
};

/** Applies an approved extension inside the deciding transaction. */
export const applyExtension = async (tx: Db, options: TApplyExtensionOptions): Promise<{ expiresAt: Date }> => {
  const grant = await lockGrantForExtension(tx, options.grantId);
  if (grant.revokedAt || grant.expiresAt <= options.now)
    throw new AppError("CONFLICT", "The grant this extension is for has already ended.");
  if (grant.subject.deactivatedAt)
    throw new AppError("CONFLICT", "The person this grant is for has been deactivated; it cannot be extended.");
  // Read under the row lock: whatever was approved meanwhile is counted. (A grant not made
  // from a request has no policy to bound it; requestExtension never asks for one.)
  const policy = grant.request?.policy;
  const headroom = policy ? extensionHeadroomMinutes(grant, policy.maxDurationMinutes) : Infinity;
  if (policy && options.minutes > headroom)
    throw new AppError(
      "CONFLICT",
      headroom === 0
        ? `This grant is already at the policy's maximum of ${policy.maxDurationMinutes} minutes.`
        : `Only ${headroom} more minutes remain under this policy.`,
      { minutes: headroom === 0 ? "No time left under this policy." : `At most ${headroom} more minutes.` },
    );
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
      ...(grant.breakGlass ? { breakGlass: true } : {}),
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
  // An emergency that keeps going is news to security: every channel, as when it was taken.
  if (grant.breakGlass)
    await notify(tx, {
      recipients: { security: true },
      kind: "grant.break_glass_extended",
      title: `Break-glass extended: ${grant.subject.name}'s ${grant.permissions.join(", ")} on ${grant.resource.key} by ${options.minutes} min`,
      body: `Now until ${formatUtc(expiresAt)} (was ${formatUtc(grant.expiresAt)}). Review it after the incident in the Security area.`,
      link: "/security/break-glass",
    });
  return { expiresAt };
};
