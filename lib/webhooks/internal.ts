/** Helpers shared by the webhook domain functions; not part of the public surface. */
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import type { Db } from "../db";
import { AppError } from "../errors";

/** One ALLOWED event for an endpoint change, in the change's own transaction. */
export const auditEndpointChange = (
  tx: Db,
  options: {
    actor: TUserActor;
    context?: TAuditContext;
    action: string;
    endpointId: string;
    details: Record<string, unknown>;
  },
) =>
  appendAuditEvent(tx, {
    actorType: "USER",
    actorId: options.actor.userId,
    action: options.action,
    targetType: "webhook_endpoint",
    targetId: options.endpointId,
    outcome: "ALLOWED",
    details: options.details,
    ip: options.context?.ip ?? null,
    userAgent: options.context?.userAgent ?? null,
    requestId: options.context?.requestId ?? null,
  });

export const resourceNotFound = (key: string): AppError => new AppError("NOT_FOUND", `No resource with key "${key}".`);
export const endpointNotFound = (): AppError => new AppError("NOT_FOUND", "No such webhook endpoint.");

/** Bounded: keys and ids come from URLs and forms. */
export const boundedText = (value: string, max = 200): string => value.slice(0, max);
