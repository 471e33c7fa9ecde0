import type { TUserActor } from "../authz";
import { db } from "../db";
import { describeRevocation, grantStatus, type TGrantStatus } from "./grant-status";

export type TMyGrant = {
  id: string;
  requestId: string | null;
  resourceKey: string;
  resourceName: string;
  environment: string;
  permissions: string[];
  startsAt: Date;
  expiresAt: Date;
  status: TGrantStatus;
  /** How it ended, in words, when it ended early: "ended early by you", "revoked by Sam: …". */
  ending: string | null;
};

export type TMyRequest = {
  id: string;
  resourceName: string;
  permissions: string[];
  durationMinutes: number;
  status: string;
  createdAt: Date;
  /** The teammate who filed it for this person (ADR 0057), or null. */
  filedBy: string | null;
  /** Filed for this person, not acknowledged yet, still in its window: nothing starts without them. */
  awaitingAcknowledgment: boolean;
};

/** The signed-in person's own grants and requests; scoped by the actor in the `where`. */
export const listMyAccess = async (options: { actor: TUserActor; now?: Date }) => {
  const now = options.now ?? new Date();
  const [grants, requests] = await Promise.all([
    db.grant.findMany({
      where: { subjectId: options.actor.userId },
      orderBy: { startsAt: "desc" },
      take: 50,
      include: {
        resource: { select: { key: true, name: true, environment: true } },
        revokedBy: { select: { name: true } },
      },
    }),
    db.accessRequest.findMany({
      where: { requesterId: options.actor.userId },
      orderBy: { createdAt: "desc" },
      take: 50,
      include: {
        resource: { select: { key: true, name: true } },
        filedBy: { select: { name: true } },
        grant: { select: { id: true } },
      },
    }),
  ]);
  const mine: TMyGrant[] = grants.map((grant) => ({
    id: grant.id,
    requestId: grant.requestId,
    resourceKey: grant.resource.key,
    resourceName: grant.resource.name,
    environment: grant.resource.environment,
    permissions: grant.permissions,
    startsAt: grant.startsAt,
    expiresAt: grant.expiresAt,
    status: grantStatus(grant, now),
    ending:
      grant.revokedAt && grant.revokedAt <= now
        ? describeRevocation({ ...grant, revokedByName: grant.revokedBy?.name ?? null }, options.actor.userId)
        : null,
  }));
  const myRequests: TMyRequest[] = requests.map((request) => ({
    id: request.id,
    resourceName: request.resource.name,
    permissions: request.permissions,
    durationMinutes: request.durationMinutes,
    status: request.status,
    createdAt: request.createdAt,
    filedBy: request.filedBy?.name ?? null,
    awaitingAcknowledgment:
      request.filedById !== null &&
      request.acknowledgedAt === null &&
      request.decideBy > now &&
      (request.status === "PENDING" || (request.status === "APPROVED" && request.grant === null)),
  }));
  // The resources this person asked for most recently, newest first: the quickest way back.
  const recent = new Map<string, string>();
  for (const request of requests) if (recent.size < 4) recent.set(request.resource.key, request.resource.name);
  return {
    recent: [...recent].map(([key, name]) => ({ key, name })),
    active: mine.filter((grant) => grant.status === "active"),
    scheduled: mine.filter((grant) => grant.status === "scheduled"),
    past: mine.filter((grant) => grant.status === "expired" || grant.status === "revoked"),
    pending: myRequests.filter((request) => request.status === "PENDING"),
    /** Filed for this person by a teammate, waiting for their one-click acknowledgment (ADR 0057). */
    toAcknowledge: myRequests.filter((request) => request.awaitingAcknowledgment),
    history: myRequests.filter((request) => request.status !== "PENDING"),
  };
};
