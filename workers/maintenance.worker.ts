import { escalateDueRequests, escalateRequest } from "../lib/access/escalate-request";
import { expireStaleRequests, reconcileLifecycle } from "../lib/access/lifecycle";
import { anchorChainHead } from "../lib/audit/anchors/anchor-chain-head";
import { pruneSessions } from "../lib/auth/prune-sessions";
import { detectDrift } from "../lib/provisioning";
import type { TQueueHandlers } from "../lib/queue/runtime";
import { sweepReviews } from "../lib/reviews";
import { pruneReplicaChanges } from "../lib/services/prune-replica-changes";
import { pruneUsageSignals } from "../lib/signals/prune-usage-signals";

/** The maintenance queue: periodic housekeeping, each job one domain call. */
export const maintenanceHandlers: TQueueHandlers<"maintenance"> = {
  "sessions.prune": async () => pruneSessions({}),
  "requests.expire": async () => expireStaleRequests({}),
  "lifecycle.reconcile": async () => reconcileLifecycle({}),
  "replica-changes.prune": async () => pruneReplicaChanges({}),
  "usage-signals.prune": async () => pruneUsageSignals({}),
  "audit.anchor": async () => {
    await anchorChainHead({});
  },
  "provisioning.drift": async () => detectDrift({}),
  "request.escalate": async ({ requestId }) => {
    await escalateRequest({ requestId });
  },
  "requests.escalate": async () => escalateDueRequests({}),
  "reviews.sweep": async () => {
    await sweepReviews();
  },
};
