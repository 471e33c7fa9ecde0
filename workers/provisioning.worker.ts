import { runProvisioning } from "../lib/provisioning";
import type { TQueueHandlers } from "../lib/queue/runtime";

/**
 * The provisioning queue: one connector step for one grant per job. A failure throws, so BullMQ
 * retries with backoff; the grant's timeline and *Failed jobs* show it, and the sweeper keeps
 * closing an ended grant whatever became of its job.
 */
export const provisioningHandlers: TQueueHandlers<"provisioning"> = {
  "provisioning.run": async (payload, { signal }) => runProvisioning({ ...payload, trigger: "job", signal }),
};
