/**
 * The sweeper: deprovisioning never waits on a job alone. From PostgreSQL only (no queue, no
 * Redis), it finds every grant whose access ended (revoked or past `expiresAt`) but is still
 * provisioned in some connector's target, and closes it; and every live grant a connector has
 * not provisioned (a job Redis lost, a connector attached later), and provisions it. The worker
 * runs it every PROVISIONING_SWEEP_SECONDS in-process, beside the outbox relay, so access
 * outlives its grant by at most one interval even when Redis or BullMQ are down.
 */
import { db } from "../db";
import { runProvisioning, type TProvisioningAction } from "./run-provisioning";

// Let the job do a start first; the sweeper is the safety net, not the fast path.
const PROVISION_GRACE_MS = 2_000;
// A target that keeps failing is retried this often by the sweeper (the job has its own backoff).
const FAILURE_PAUSE_MS = 30_000;
const CONCURRENCY = 8;

export type TSweepResult = { deprovisioned: number; provisioned: number; failed: number };

export const sweepEndedGrants = async (options: { now?: () => Date; limit?: number } = {}): Promise<TSweepResult> => {
  const now = options.now ?? (() => new Date());
  const at = now();
  const limit = options.limit ?? 500;
  const ended = await db.$queryRaw<Array<{ grantId: string; connectorId: string }>>`
    select p."grantId", p."connectorId"
      from "GrantProvisioning" p
      join "Grant" g on g.id = p."grantId"
     where (p."provisionStartedAt" is not null or p."provisionedAt" is not null)
       and (p."deprovisionedAt" is null
            or p."deprovisionedAt" < greatest(p."provisionStartedAt", p."provisionedAt"))
       and (g."revokedAt" is not null or g."expiresAt" <= ${at}::timestamp(3))
     order by least(coalesce(g."revokedAt", g."expiresAt"), g."expiresAt")
     limit ${limit}`;
  const missing = await db.$queryRaw<Array<{ grantId: string; connectorId: string }>>`
    select g.id as "grantId", c.id as "connectorId"
      from "Grant" g
      join "Connector" c on c."resourceId" = g."resourceId" and c."disabledAt" is null
      left join "GrantProvisioning" p on p."grantId" = g.id and p."connectorId" = c.id
     where g."revokedAt" is null
       and g."startsAt" <= ${new Date(at.getTime() - PROVISION_GRACE_MS)}::timestamp(3)
       and g."expiresAt" > ${at}::timestamp(3)
       and (p.id is null or p."provisionedAt" is null or p."provisionedUntil" is distinct from g."expiresAt"
            or (p."deprovisionedAt" is not null and p."deprovisionedAt" >= p."provisionedAt"))
       and (p."lastErrorAt" is null or p."lastErrorAt" < ${new Date(at.getTime() - FAILURE_PAUSE_MS)}::timestamp(3))
     order by g."startsAt"
     limit ${limit}`;
  const work: Array<{ grantId: string; connectorId: string; action: TProvisioningAction }> = [
    ...ended.map((row) => ({ ...row, action: "deprovision" as const })),
    ...missing.map((row) => ({ ...row, action: "provision" as const })),
  ];
  const result: TSweepResult = { deprovisioned: 0, provisioned: 0, failed: 0 };
  let next = 0;
  const lane = async () => {
    while (next < work.length) {
      const item = work[next++];
      if (!item) break;
      try {
        const outcome = await runProvisioning({ ...item, trigger: "sweeper", now });
        if (outcome.outcome === "deprovisioned") result.deprovisioned += 1;
        if (outcome.outcome === "provisioned") result.provisioned += 1;
      } catch {
        // Recorded on the grant (and alerted, for a deprovision) by runProvisioning.
        result.failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, work.length) }, lane));
  return result;
};

/** Runs the sweeper every `intervalMs` until stopped (the worker process). */
export const startProvisioningSweeper = (options: {
  intervalMs: number;
  onError?: (error: unknown) => void;
  onSwept?: (result: TSweepResult) => void;
}): { stop: () => Promise<void> } => {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const loop = async () => {
    while (!stopped) {
      try {
        const result = await sweepEndedGrants();
        if (result.deprovisioned + result.provisioned + result.failed > 0) options.onSwept?.(result);
      } catch (error) {
        options.onError?.(error);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, options.intervalMs);
      });
    }
  };
  const running = loop();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await running;
    },
  };
};
