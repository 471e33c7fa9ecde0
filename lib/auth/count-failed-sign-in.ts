/**
 * A sign-in that failed before anyone was identified: a garbage or expired session cookie
 * (next-auth's JWT_SESSION_ERROR, on any page), a callback with a forged state, an IdP error.
 * Anyone outside can cause these at will, so they are counted, not written to the audit chain one
 * by one: per window, one aggregate `auth.sign_in.aggregate` event per reason with the count and
 * the addresses seen (lib/audit/aggregator.ts), the first of each reason in a window logged at
 * once (an unreachable IdP must be visible right away), and a counter per occurrence.
 * Failures after the IdP vouched for an account (deactivated, locked out) stay one event each
 * (lib/auth/sign-in-limits.ts). See docs/decisions/0024-unauthenticated-traffic-is-counted.md.
 */
import { flushProcessAggregator, processAggregator } from "../audit/process-aggregator";
import { logger } from "../log";
import { incrementCounter } from "../metrics/registry";
import type { TRequestContext } from "./sign-in";

/** next-auth's codes are upper-case names; anything else is one bucket, so the reasons stay a closed list. */
const reasonOf = (code: string): string => (/^[A-Z][A-Z_]{0,59}$/.test(code) ? code : "OTHER");

type TCountFailedSignInOptions = { code: string; message?: string; context?: TRequestContext };

export const countFailedSignIn = ({ code, message, context = {} }: TCountFailedSignInOptions): void => {
  const reason = reasonOf(code);
  const first = processAggregator("auth.sign_in", "failed sign-ins").record({
    operation: "auth.sign_in",
    clientId: null,
    outcome: "ERROR",
    reason,
    ip: context.ip ?? null,
    targetType: null,
    sample: message,
  });
  incrementCounter("jit_sign_ins_total", { outcome: "error" });
  incrementCounter("jit_unauthenticated_refusals_total", { source: "web", reason });
  if (first)
    logger().warn(
      {
        event: { action: "auth.sign_in", outcome: "failure", reason },
        source: { ip: context.ip ?? undefined },
        error: { message: message?.slice(0, 300) },
      },
      "sign-in failed before anyone was identified; the rest of this window is counted into one audit event",
    );
};

/** Writes the window's aggregate now (tests, shutdown). */
export const flushFailedSignIns = (): Promise<void> => flushProcessAggregator("auth.sign_in");
