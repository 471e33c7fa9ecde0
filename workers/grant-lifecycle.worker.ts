import { activateGrant, expireGrant, warnGrant, type TLifecycleOutcome } from "../lib/access/lifecycle";
import type { TQueueHandlers } from "../lib/queue/runtime";

// A job that fires before its instant (clock skew between hosts) fails and is retried;
// BullMQ's delayed jobs normally fire at or after their time.
const orRetry = (outcome: TLifecycleOutcome): TLifecycleOutcome => {
  if (outcome === "not-yet") throw new Error("not due yet; retrying");
  return outcome;
};

/** Start, warn and expire: each job one domain call, idempotent by its latch. */
export const grantLifecycleHandlers: TQueueHandlers<"grant-lifecycle"> = {
  "grant.start": async ({ grantId }) => orRetry(await activateGrant({ grantId })),
  "grant.warn": async ({ grantId }) => orRetry(await warnGrant({ grantId })),
  "grant.expire": async ({ grantId }) => orRetry(await expireGrant({ grantId })),
};
