import { randomUUID } from "node:crypto";
import { getConfig } from "../config";
import type { Db } from "../db";
import { addOutboxJobs } from "../queue/outbox";

export type TQueueChatSync = {
  requestId: string;
  /** Also refresh the messages when the grant starts and ends (scheduled jobs). */
  grant?: { startsAt: Date; expiresAt: Date } | null;
  now?: Date;
};

/**
 * Inside the caller's transaction: a chat.sync job per configured chat (Slack, Teams), so the
 * messages follow the change that commits, and none follow one that rolls back. Each job has
 * its own id (a sync renders the present, so an extra one is harmless and none may be lost
 * to an id already used by an earlier state).
 */
export const queueChatSync = async (tx: Db, options: TQueueChatSync): Promise<void> => {
  const config = getConfig();
  const providers = [
    ...(config.slack ? ["slack" as const] : []),
    ...(config.teamsWebhookUrl ? ["teams" as const] : []),
  ];
  if (providers.length === 0) return;
  const now = options.now ?? new Date();
  const instants: Array<Date | undefined> = [undefined];
  if (options.grant) {
    if (options.grant.startsAt > now) instants.push(options.grant.startsAt);
    // A second past the end, so the sync sees the grant ended.
    instants.push(new Date(options.grant.expiresAt.getTime() + 1_000));
  }
  await addOutboxJobs(
    tx,
    providers.flatMap((provider) =>
      instants.map((runAt) => ({
        name: "chat.sync" as const,
        payload: { requestId: options.requestId, provider },
        jobId: `chat:sync:${provider}:${options.requestId}:${randomUUID()}`,
        runAt,
      })),
    ),
  );
};
