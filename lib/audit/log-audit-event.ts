import type { TStoredAuditEvent } from "./canonical";
import { logger } from "../log";

export type TCommittedAuditEvent = TStoredAuditEvent;

// ECS `event.outcome` takes success, failure or unknown; our own outcome stays in `event.type`.
const ECS_OUTCOME: Record<string, "success" | "failure" | "unknown"> = {
  ALLOWED: "success",
  DENIED: "failure",
  ERROR: "failure",
};
const ECS_TYPE: Record<string, string> = { ALLOWED: "allowed", DENIED: "denied", ERROR: "error" };

const category = (action: string): string[] => {
  if (/^(auth|webauthn|passkey)\./.test(action)) return ["authentication"];
  if (/^(resource|policy|catalog|webhook)\./.test(action)) return ["configuration"];
  return ["iam"];
};

/**
 * The ECS document for one committed audit event. `event.sequence` and `jit.audit.hash`
 * let a SIEM copy of the log check the database's chain (and the other way round).
 */
export const auditEventToEcs = (event: TCommittedAuditEvent): Record<string, unknown> => ({
  event: {
    kind: "event",
    dataset: "jit.audit",
    id: event.id,
    sequence: Number(event.seq),
    action: event.action,
    outcome: ECS_OUTCOME[event.outcome] ?? "unknown",
    type: [ECS_TYPE[event.outcome] ?? "info"],
    category: category(event.action),
    ...(event.reason ? { reason: event.reason } : {}),
  },
  ...(event.actorType === "USER" && event.actorId ? { user: { id: event.actorId } } : {}),
  ...(event.actorType === "SERVICE" && event.actorId ? { service: { target: { name: event.actorId } } } : {}),
  ...(event.ip ? { source: { ip: event.ip } } : {}),
  ...(event.userAgent ? { user_agent: { original: event.userAgent } } : {}),
  ...(event.requestId ? { transaction: { id: event.requestId }, trace: { id: event.requestId } } : {}),
  jit: {
    audit: {
      occurred_at: event.occurredAt.toISOString(),
      actor: { type: event.actorType, id: event.actorId },
      target: { type: event.targetType, id: event.targetId },
      details: event.details,
      prev_hash: event.prevHash,
      hash: event.hash,
    },
  },
});

/** One log line per committed audit event (called through afterCommit, never before). */
export const logAuditEvent = (event: TCommittedAuditEvent): void => {
  logger().info(auditEventToEcs(event), `audit ${event.action} ${event.outcome.toLowerCase()}`);
};
