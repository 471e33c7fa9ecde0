/**
 * What each Shared Signals event does to the person it names, inside the transaction that
 * accepted the SET (ADR 0040). The person's row is locked first, in the order a deactivation
 * takes it, so a decision or a grant in flight for them finishes before or waits and is refused.
 */
import { appendAuditEvent } from "../audit";
import { endAccessOfUser, type TEndAccessCause } from "../access/end-access-of-user";
import type { Db } from "../db";
import type { TEventPayload, TSignalKind } from "./events";
import {
  transmitterAccessActor,
  transmitterEvent,
  type TSignalContext,
  type TTransmitterActor,
} from "./transmitter-event";

export type TDeviceNonCompliantAction = "SUSPEND" | "AUDIT";

type TApplySignalOptions = {
  kind: TSignalKind;
  userId: string;
  payload: TEventPayload;
  actor: TTransmitterActor;
  onDeviceNonCompliant: TDeviceNonCompliantAction;
  /** When the IdP says it happened: the event's timestamp, never later than now. */
  occurredAt: Date;
  now: Date;
  context: TSignalContext;
};

const SESSION_REVOKED: TEndAccessCause = {
  reason: "the identity provider revoked the person's session",
  details: { signal: "session-revoked" },
  endDevices: true,
  verb: "reported the end of the session of",
};

const DEVICE_NOT_COMPLIANT: TEndAccessCause = {
  reason: "the identity provider reports the person's device not compliant",
  details: { signal: "device-compliance-change" },
  endDevices: false,
  verb: "suspended (device not compliant)",
};

const lockPerson = (tx: Db, userId: string) => tx.$queryRaw`select id from "User" where id = ${userId} for update`;

const endSessions = (tx: Db, userId: string, now: Date) =>
  tx.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });

/** The effect, for the signal's own audit event. */
export const applySignal = async (tx: Db, options: TApplySignalOptions): Promise<Record<string, unknown>> => {
  const { kind, userId, payload, actor, now, context } = options;
  const audit = context;
  switch (kind) {
    case "session_revoked": {
      // The portal sessions, CLI devices, requests and grants the person had: all end now; they
      // sign in again and ask again. Ending the grants is what makes the services API say no.
      await lockPerson(tx, userId);
      const sessions = await endSessions(tx, userId, now);
      const ended = await endAccessOfUser(tx, {
        userId,
        actor: transmitterAccessActor(actor),
        now,
        audit,
        cause: SESSION_REVOKED,
      });
      return { effect: "sessions_ended", sessionsRevoked: sessions.count, ...ended };
    }
    case "account_disabled": {
      await lockPerson(tx, userId);
      const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { deactivatedAt: true } });
      if (user.deactivatedAt) return { effect: "already_deactivated" };
      await tx.user.update({ where: { id: userId }, data: { deactivatedAt: now, deactivatedById: null } });
      const sessions = await endSessions(tx, userId, now);
      const ended = await endAccessOfUser(tx, { userId, actor: transmitterAccessActor(actor), now, audit });
      const details = { sessionsRevoked: sessions.count, ...ended };
      await appendAuditEvent(
        tx,
        transmitterEvent(actor, "user.deactivate", { type: "user", id: userId }, context, details),
      );
      return { effect: "deactivated", ...details };
    }
    case "credential_change":
    case "assurance_level_change": {
      if (kind === "assurance_level_change" && payload.change_direction === "increase") return { effect: "none" };
      // Sessions that began before the change may not request or decide (assertNoSignalHold).
      await tx.user.updateMany({
        where: { id: userId, OR: [{ signInRequiredAfter: null }, { signInRequiredAfter: { lt: options.occurredAt } }] },
        data: { signInRequiredAfter: options.occurredAt },
      });
      return { effect: "sign_in_required", signInRequiredAfter: options.occurredAt.toISOString() };
    }
    case "device_compliance_change": {
      const status = payload.current_status;
      if (status === "compliant") {
        const lifted = await tx.user.updateMany({
          where: { id: userId, deviceSuspendedAt: { not: null } },
          data: { deviceSuspendedAt: null },
        });
        return { effect: lifted.count > 0 ? "suspension_lifted" : "none", currentStatus: status };
      }
      if (status !== "not-compliant") return { effect: "none", currentStatus: status ?? null };
      if (options.onDeviceNonCompliant === "AUDIT") return { effect: "audited_only", currentStatus: status };
      await lockPerson(tx, userId);
      await tx.user.updateMany({ where: { id: userId, deviceSuspendedAt: null }, data: { deviceSuspendedAt: now } });
      const ended = await endAccessOfUser(tx, {
        userId,
        actor: transmitterAccessActor(actor),
        now,
        audit,
        cause: DEVICE_NOT_COMPLIANT,
      });
      return { effect: "suspended", currentStatus: status, ...ended };
    }
  }
};
