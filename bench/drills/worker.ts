/**
 * Drill 3: SIGKILL the worker in the middle of its work, twice: during a burst of grant starts
 * and during a burst of expiries (each a batch of lifecycle jobs, webhook deliveries, notices
 * and e-mails), restarting it each time. No side effect may be lost or doubled: every latch,
 * audit event, webhook, notice and e-mail exactly once per grant.
 */
import { formatStats, sleep } from "../support";
import type { TDrillContext, TDrillResult } from "./index";
import { planGrants, setUpLifecycle } from "./lifecycle";
import type { TStack } from "./stack";

const GRANTS = Number(process.env.DRILL_GRANTS ?? 150);
const LEAD_MS = 20_000;
/** Starts, and then ends, each spread over this burst. */
const BURST_MS = 3_000;
/** Long enough for the restarted worker (about 5-10 s to start here) to be up before the ends. */
const DURATION_MS = 25_000;

/** Waits until `count()` reaches `atLeast`, then SIGKILLs the worker, then starts a new one. */
const killWhen = async (
  stack: TStack,
  say: (line: string) => void,
  label: string,
  count: () => number,
  atLeast: number,
  deadline: number,
) => {
  while (count() < atLeast && Date.now() < deadline) await sleep(10);
  const worker = stack.worker();
  const seen = count();
  worker.child.kill("SIGKILL");
  await worker.exited;
  const killedAt = Date.now();
  say(`SIGKILL worker ${worker.pid} ${label} (${seen} delivered so far)`);
  const restarted = await stack.restartWorker(`restart after SIGKILL ${label}`);
  say(`worker ${restarted.pid} up ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
  return { seen, killedAt };
};

export const workerDrill = async ({ stack, say }: TDrillContext): Promise<TDrillResult> => {
  const windowStart = Date.now() + LEAD_MS;
  const plans = planGrants({ count: GRANTS, firstStart: windowStart, spreadMs: BURST_MS, durationMs: DURATION_MS });
  const lifecycle = await setUpLifecycle({ plans, emails: stack.emails, emailIds: stack.emailIds });
  say(
    `${GRANTS} grants scheduled: starts from +${((windowStart - Date.now()) / 1000).toFixed(1)} s within ${BURST_MS / 1000} s, ends ${DURATION_MS / 1000} s later`,
  );
  const emails = () => [...stack.emails.values()].reduce((sum, n) => sum + n, 0);

  // Mid-batch: after a fifth of the burst's webhooks went out, so jobs are in flight.
  const first = await killWhen(
    stack,
    say,
    "during the start burst",
    () => lifecycle.received("grant.activated"),
    Math.ceil(GRANTS / 5),
    windowStart + 30_000,
  );
  const emailsAtFirstKill = emails();
  const second = await killWhen(
    stack,
    say,
    "during the end burst",
    () => lifecycle.received("grant.expired"),
    Math.ceil(GRANTS / 5),
    windowStart + DURATION_MS + 30_000,
  );
  const lastExpiry = Math.max(...plans.map((plan) => plan.expiresAt.getTime()));
  await lifecycle.settle(lastExpiry + 90_000);
  const result = await lifecycle.verify();
  await lifecycle.close();
  say(formatStats("lag grant.activated webhook", result.lag.activated));
  say(formatStats("lag grant.expired webhook", result.lag.expired));
  const violations = [...result.violations];
  if (first.seen >= GRANTS) violations.push("the first kill came after the start burst was done (not mid-batch)");
  if (second.seen >= GRANTS) violations.push("the second kill came after the end burst was done (not mid-batch)");
  return {
    name: "worker",
    table: result.table,
    numbers: {
      ...result.numbers,
      killedAfterStarts: `${first.seen}/${GRANTS}`,
      emailsAtFirstKill,
      killedAfterEnds: `${second.seen}/${GRANTS}`,
      startLagP50: result.lag.activated?.p50 ?? -1,
      startLagMax: result.lag.activated?.max ?? -1,
      endLagP50: result.lag.expired?.p50 ?? -1,
      endLagMax: result.lag.expired?.max ?? -1,
    },
    violations,
  };
};
