/**
 * Drill 2: FLUSHALL on the (throwaway) Redis while grants are scheduled and people use the
 * portal. The workers' flush watch (lib/queue/flush-watch.ts) must rebuild every schedule and
 * every owed job: each grant due in the drill window still starts and ends on time-ish, with
 * each side effect exactly once.
 */
import { Redis } from "ioredis";
import { formatStats, sleep } from "../support";
import { getPage, mintSession } from "./http";
import type { TDrillContext, TDrillResult } from "./index";
import { planGrants, setUpLifecycle } from "./lifecycle";

const GRANTS = Number(process.env.DRILL_GRANTS ?? 60);
const LEAD_MS = 15_000;
const WINDOW_MS = 20_000;
const DURATION_MS = 12_000;
/** "On time-ish": a start or end side effect may be this late after a flush. */
const LATE_BOUND_MS = 10_000;

export const redisDrill = async ({ stack, say }: TDrillContext): Promise<TDrillResult> => {
  const { DEMO_USERS } = await import("../../lib/dev-idp/demo-users");
  const alice = DEMO_USERS.find((user) => user.email === "alice@example.com");
  if (!alice) throw new Error("no demo user alice");
  const session = await mintSession(alice);

  // Starts spread over the window, each grant lasting DURATION_MS: some start before the flush
  // and end after it, some do both after it.
  const windowStart = Date.now() + LEAD_MS;
  const plans = planGrants({ count: GRANTS, firstStart: windowStart, spreadMs: WINDOW_MS, durationMs: DURATION_MS });
  const lifecycle = await setUpLifecycle({ plans, emails: stack.emails, emailIds: stack.emailIds });
  say(
    `${GRANTS} grants scheduled: starts from +${((windowStart - Date.now()) / 1000).toFixed(1)} s over ${WINDOW_MS / 1000} s, each ${DURATION_MS / 1000} s long`,
  );

  let running = true;
  const pages = { ok: 0, failed: 0 };
  const load = (async () => {
    while (running) {
      const answer = await getPage(session.cookie, "/");
      if (answer.status === 200) pages.ok += 1;
      else pages.failed += 1;
      await sleep(200);
    }
  })();

  const client = new Redis(stack.redis.url, { maxRetriesPerRequest: 3 });
  const flushAt = windowStart + WINDOW_MS / 2;
  await sleep(Math.max(0, flushAt - Date.now()));
  const keysBefore = await client.dbsize();
  await client.flushall();
  const flushedAt = Date.now();
  const started = lifecycle.received("grant.activated");
  const ended = lifecycle.received("grant.expired");
  say(
    `FLUSHALL (${keysBefore} keys) at +${((flushedAt - windowStart) / 1000).toFixed(1)} s; by then ${started} starts and ${ended} ends delivered`,
  );
  client.disconnect();

  const lastExpiry = Math.max(...plans.map((plan) => plan.expiresAt.getTime()));
  await lifecycle.settle(lastExpiry + 60_000);
  running = false;
  await load;
  const result = await lifecycle.verify();
  await lifecycle.close();

  const lateAfterFlush = lifecycle.receipts.filter((receipt) => {
    const grant = lifecycle.grants.find((entry) => entry.id === receipt.grantId);
    if (!grant) return false;
    const due = receipt.type === "grant.activated" ? grant.startsAt : grant.expiresAt;
    return due >= flushedAt - 1_000 && receipt.receivedAt - due > LATE_BOUND_MS;
  }).length;
  const violations = [...result.violations];
  if (lateAfterFlush > 0)
    violations.push(`${lateAfterFlush} side effects more than ${LATE_BOUND_MS / 1000} s late after the flush`);
  if (pages.failed > 0) violations.push(`${pages.failed} page loads failed during the drill`);
  if (stack.worker().child.exitCode !== null) violations.push("the worker exited");
  say(formatStats("lag grant.activated webhook", result.lag.activated));
  say(formatStats("lag grant.expired webhook", result.lag.expired));
  return {
    name: "redis",
    table: result.table,
    numbers: {
      ...result.numbers,
      keysFlushed: keysBefore,
      deliveredBeforeFlush: `${started} starts, ${ended} ends`,
      startLagP50: result.lag.activated?.p50 ?? -1,
      startLagMax: result.lag.activated?.max ?? -1,
      endLagP50: result.lag.expired?.p50 ?? -1,
      endLagMax: result.lag.expired?.max ?? -1,
      pagesOk: pages.ok,
      pagesFailed: pages.failed,
      flushDetectedByWorker: stack.worker().events.get("redis.flush_detected") ?? 0,
    },
    violations,
  };
};
