/**
 * The sweeper's look-ahead: every grant provisioned in some target whose end falls before the
 * sweeper's next pass gets an in-process timer at that end. The end's job in Redis stays the
 * normal path; the timer is what ends access on time when Redis lost that job (a flush, a
 * failover), where the sweep alone would leave access open for up to one interval
 * (docs/decisions/0052-sweeper-look-ahead.md). Arriving second is harmless: runProvisioning
 * re-reads the grant (an extended one is skipped) and records a deprovision only once.
 */
import { db } from "../db";
import { runProvisioning } from "./run-provisioning";

// Fire this early and let runProvisioning wait out the last moment (it waits up to 2 s for an
// end that is near), so a busy event loop makes the step late by less.
const FIRE_EARLY_MS = 500;

/** Timers set, by grant, connector and end, and the steps they started that are still running. */
export type TArmedEnds = { timers: Map<string, NodeJS.Timeout>; running: Set<Promise<unknown>> };

export const noArmedEnds = (): TArmedEnds => ({ timers: new Map(), running: new Set() });

type TArmUpcomingEndsOptions = {
  /** Kept between passes, so an end gets one timer. */
  armed: TArmedEnds;
  /** How far ahead to look: the sweep interval and a margin. */
  horizonMs: number;
  now?: () => Date;
  onError?: (error: unknown) => void;
};

/** Sets a timer for each end within the horizon that has none yet; returns how many it set. */
export const armUpcomingEnds = async ({
  armed,
  horizonMs,
  now = () => new Date(),
  onError,
}: TArmUpcomingEndsOptions) => {
  const at = now();
  const upcoming = await db.$queryRaw<Array<{ grantId: string; connectorId: string; expiresAt: Date }>>`
    select p."grantId", p."connectorId", g."expiresAt"
      from "GrantProvisioning" p
      join "Grant" g on g.id = p."grantId"
     where (p."provisionStartedAt" is not null or p."provisionedAt" is not null)
       and (p."deprovisionedAt" is null
            or p."deprovisionedAt" < greatest(p."provisionStartedAt", p."provisionedAt"))
       and g."revokedAt" is null
       and g."expiresAt" > ${at}::timestamp(3)
       and g."expiresAt" <= ${new Date(at.getTime() + horizonMs)}::timestamp(3)`;
  let set = 0;
  for (const { grantId, connectorId, expiresAt } of upcoming) {
    const key = `${grantId}:${connectorId}:${expiresAt.getTime()}`;
    if (armed.timers.has(key)) continue;
    const delay = Math.max(0, expiresAt.getTime() - now().getTime() - FIRE_EARLY_MS);
    const timer = setTimeout(() => {
      const step = runProvisioning({ grantId, connectorId, action: "deprovision", trigger: "sweeper", now })
        .catch((error: unknown) => onError?.(error))
        .finally(() => {
          armed.timers.delete(key);
          armed.running.delete(step);
        });
      armed.running.add(step);
    }, delay);
    armed.timers.set(key, timer);
    set += 1;
  }
  return set;
};

/**
 * Clears every timer not yet fired and waits for the steps under way (the worker is stopping;
 * the next worker's sweep takes over).
 */
export const disarmUpcomingEnds = async (armed: TArmedEnds): Promise<void> => {
  for (const timer of armed.timers.values()) clearTimeout(timer);
  armed.timers.clear();
  await Promise.allSettled([...armed.running]);
};
