/**
 * The push receiver's use case (RFC 8935, ADR 0040): one Security Event Token from one
 * transmitter. The SET is verified (verify-set.ts), then, in one transaction, its `jti` is
 * stored (a replay hits the primary key and is refused with nothing changed), each event is
 * applied to the person it names (apply-signal.ts) and audited with the transmitter as actor.
 * An unknown event type or an unknown person is acknowledged and audited, not an error: the
 * transmitter must not retry what the portal cannot act on.
 */
import { appendAuditEvent } from "../audit";
import { currentTime } from "../clock";
import { db } from "../db";
import type { TOutboundPolicy } from "../security/outbound";
import { announceAfter } from "../services/feed";
import { applySignal } from "./apply-signal";
import { signalKindOf, subjectOf, ZEventPayload } from "./events";
import { resolveSubject } from "./resolve-subject";
import { SetError } from "./set-error";
import { transmitterEvent, type TSignalContext, type TTransmitterActor } from "./transmitter-event";
import { SET_MAX_AGE_SECONDS, verifySet } from "./verify-set";

/** Accepted jtis are kept this long, well past the age limit, then pruned. */
export const JTI_KEEP_MS = 6 * SET_MAX_AGE_SECONDS * 1000;

const ZId = /^[0-9a-f-]{36}$/i;

type TReceiveSecurityEventOptions = {
  transmitterId: string;
  token: string;
  context: TSignalContext;
  now?: Date;
  /** Tests narrow the outbound allow-list; otherwise OUTBOUND_ALLOWED_HOSTS. */
  outboundPolicy?: TOutboundPolicy;
};

export type TReceiveResult = { transmitterId: string; events: Array<{ kind: string; userId: string | null }> };

export const receiveSecurityEvent = async ({
  transmitterId,
  token,
  context,
  now = currentTime(),
  outboundPolicy,
}: TReceiveSecurityEventOptions): Promise<TReceiveResult> => {
  const transmitter = ZId.test(transmitterId)
    ? await db.signalTransmitter.findUnique({ where: { id: transmitterId } })
    : null;
  if (!transmitter || transmitter.disabledAt)
    throw new SetError("authentication_failed", "No such transmitter, or it is disabled.");
  const set = await verifySet({ token, transmitter, now, outboundPolicy });
  const actor: TTransmitterActor = { transmitterId: transmitter.id, name: transmitter.name, jti: set.jti };

  return db
    .$transaction(
      async (tx) => {
        const stored = await tx.signalEventJti.createMany({
          data: [{ transmitterId: transmitter.id, jti: set.jti, receivedAt: now }],
          skipDuplicates: true,
        });
        if (stored.count === 0) throw new SetError("invalid_request", "This SET (its jti) was received already.");
        await tx.signalEventJti.deleteMany({
          where: { transmitterId: transmitter.id, receivedAt: { lt: new Date(now.getTime() - JTI_KEEP_MS) } },
        });
        await tx.signalTransmitter.update({ where: { id: transmitter.id }, data: { lastEventAt: now } });

        const events: TReceiveResult["events"] = [];
        for (const [uri, raw] of Object.entries(set.events)) {
          const kind = signalKindOf(uri);
          const parsed = ZEventPayload.safeParse(raw ?? {});
          const payload = parsed.success ? parsed.data : {};
          const subject = subjectOf(set.subId, payload.subject);
          const userId = subject
            ? await resolveSubject(tx, { subjectIssuer: transmitter.subjectIssuer, subject })
            : null;
          const details = { event: uri, subjectFormat: subject?.format ?? null };
          const action = `signal.${kind}`;
          if (kind === "unknown" || !userId) {
            const reason = kind === "unknown" ? "event type not handled" : "no such person";
            await appendAuditEvent(
              tx,
              transmitterEvent(actor, action, null, context, { ...details, effect: "acknowledged" }, reason),
            );
            events.push({ kind, userId });
            continue;
          }
          // Timestamps are whole seconds: a session begun in the event's second counts as before it.
          const seconds = payload.event_timestamp ?? set.issuedAt.getTime() / 1000;
          const occurredAt = new Date(Math.min(Math.floor(seconds) * 1000 + 999, now.getTime()));
          const effect = await applySignal(tx, {
            kind,
            userId,
            payload,
            actor,
            onDeviceNonCompliant: transmitter.onDeviceNonCompliant,
            occurredAt,
            now,
            context,
          });
          await appendAuditEvent(
            tx,
            transmitterEvent(actor, action, { type: "user", id: userId }, context, { ...details, ...effect }),
          );
          events.push({ kind, userId });
        }
        return { transmitterId: transmitter.id, events };
      },
      // A person with many grants: each revocation is a few statements and its own audit event.
      { timeout: 30_000 },
    )
    .then(announceAfter);
};
