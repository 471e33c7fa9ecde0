/**
 * Inside the transaction that makes a grant event happen: one provisioning job per connector of
 * the grant's resource. It is called from where the grant webhooks are queued
 * (lib/webhooks/queue-grant-webhooks.ts), which every path that starts, extends or ends a grant
 * already goes through (activation, expiry, early revoke by anyone, the person ending it,
 * deactivation through revocation), so no path can forget it.
 *
 * - activated: provision at the start (a job scheduled for that instant);
 * - extended: provision again now, which moves the end in the target (no gap: the old end is
 *   still ahead);
 * - expired: deprovision at the end, scheduled for that instant;
 * - revoked: deprovision now.
 * Job ids are tied to the instant, so the same event queued twice is one job.
 */
import type { Db } from "../db";
import { addOutboxJobs } from "../queue/outbox";

export type TGrantProvisioningEvent = {
  grant: { id: string; resourceId: string; startsAt: Date; expiresAt: Date };
  eventType: "grant.activated" | "grant.expired" | "grant.revoked" | "grant.extended";
  occurredAt: Date;
  sendAfter?: Date | undefined;
};

export const provisioningJobId = (grantId: string, connectorId: string, action: string, instant: string): string =>
  `provisioning:${grantId}:${connectorId}:${action}:${instant}`;

export const queueGrantProvisioning = async (tx: Db, events: TGrantProvisioningEvent[]): Promise<number> => {
  if (events.length === 0) return 0;
  const connectors = await tx.connector.findMany({
    where: { resourceId: { in: [...new Set(events.map((event) => event.grant.resourceId))] } },
    select: { id: true, resourceId: true, disabledAt: true },
  });
  if (connectors.length === 0) return 0;
  const jobs = events.flatMap(({ grant, eventType, occurredAt, sendAfter }) =>
    connectors
      .filter((connector) => connector.resourceId === grant.resourceId)
      // A disabled connector gets no new access, but what it gave is still taken back.
      .filter((connector) => !connector.disabledAt || eventType === "grant.expired" || eventType === "grant.revoked")
      .map((connector) => {
        const job = (action: "provision" | "deprovision", instant: string, runAt?: Date) => ({
          name: "provisioning.run" as const,
          payload: { grantId: grant.id, connectorId: connector.id, action },
          jobId: provisioningJobId(grant.id, connector.id, action, instant),
          runAt,
        });
        switch (eventType) {
          case "grant.activated":
            return job("provision", String(occurredAt.getTime()), sendAfter);
          case "grant.extended":
            return job(
              "provision",
              String(grant.expiresAt.getTime()),
              grant.startsAt > occurredAt ? grant.startsAt : undefined,
            );
          case "grant.expired":
            return job("deprovision", String(occurredAt.getTime()), sendAfter);
          case "grant.revoked":
            return job("deprovision", "revoked");
        }
      }),
  );
  await addOutboxJobs(tx, jobs);
  return jobs.length;
};
