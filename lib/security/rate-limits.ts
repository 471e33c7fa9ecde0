/**
 * The limits on the human flows, per person and per client IP, as configured (lib/config.ts:
 * SIGN_IN_*, STEP_UP_*, REQUEST_RATE_LIMIT_*), and what a refusal does: a plain reason with
 * the time to wait, nothing written but one `ratelimit.refused` audit event per lockout (the
 * first refused attempt; the ones after it until a slot frees are only counted in metrics).
 *
 * Call it before anything is written: a refused attempt leaves no request row, no challenge,
 * no session.
 */
import { recordAuditEvent } from "../audit";
import type { TAuditContext } from "../authz/enforce";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { logger } from "../log";
import { incrementCounter } from "../metrics/registry";
import { takeRateLimit, type TRateKey } from "./rate-limit";

export const LIMITED_FLOWS = {
  "sign_in.start": { group: "signIn", what: "sign-in attempts" },
  "sign_in.callback": { group: "signIn", what: "sign-in attempts" },
  "sign_in.account": { group: "signIn", what: "sign-in attempts" },
  "step_up.start": { group: "stepUp", what: "passkey prompts" },
  "step_up.verify": { group: "stepUp", what: "passkey confirmations" },
  "request.create": { group: "requests", what: "access requests" },
  break_glass: { group: "requests", what: "break-glass attempts" },
} as const;
export type TLimitedFlow = keyof typeof LIMITED_FLOWS;

export type TRateLimitDecision = { ok: true } | { ok: false; retryAfterSeconds: number; message: string };

/** "2 minutes", "45 seconds": said the way a person reads a wait. */
export const waitInWords = (seconds: number): string => {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
};

/** What an attempt is counted by: the person (a user id, or an IdP account before it has one) and the client IP. */
export type TLimitedBy = { userId?: string | null; account?: string | null; ip?: string | null };

const keysFor = (flow: TLimitedFlow, who: TLimitedBy): TRateKey[] => {
  const limits = getConfig().rateLimits;
  const group = LIMITED_FLOWS[flow].group;
  const windowMs = limits[group].windowMs;
  const personal = group === "signIn" ? limits.signIn.perAccount : limits[group].perUser;
  const keys: TRateKey[] = [];
  if (who.userId) keys.push({ scope: "user", id: who.userId, rule: { limit: personal, windowMs } });
  if (who.account) keys.push({ scope: "account", id: who.account, rule: { limit: personal, windowMs } });
  if (who.ip) keys.push({ scope: "ip", id: who.ip, rule: { limit: limits[group].perIp, windowMs } });
  return keys;
};

/**
 * Counts one attempt of `flow` by these counters (`by`), or refuses it. The first refusal of a
 * lockout is audited as `ratelimit.refused` (by `actorId` when known, else anonymous, with
 * `details`); every refusal is counted in `jit_rate_limit_refusals_total`.
 */
export const checkRateLimit = async (options: {
  flow: TLimitedFlow;
  by: TLimitedBy;
  actorId?: string | null;
  context?: TAuditContext;
  details?: Record<string, unknown>;
  now?: Date;
}): Promise<TRateLimitDecision> => {
  const { flow, context = {} } = options;
  const verdict = await takeRateLimit({ flow, keys: keysFor(flow, options.by), now: options.now?.getTime() });
  if (verdict.ok) return { ok: true };

  const fromNetwork = verdict.refusedScopes.every((scope) => scope === "ip");
  const message = `Too many ${LIMITED_FLOWS[flow].what}${fromNetwork ? " from your network address" : ""}. Try again in ${waitInWords(verdict.retryAfterSeconds)}.`;
  for (const scope of verdict.refusedScopes) incrementCounter("jit_rate_limit_refusals_total", { flow, scope });
  if (verdict.firstRefusal) {
    try {
      await recordAuditEvent({
        actorType: options.actorId ? "USER" : "ANONYMOUS",
        actorId: options.actorId ?? null,
        action: "ratelimit.refused",
        targetType: "rate_limit",
        targetId: flow,
        outcome: "DENIED",
        reason: message,
        details: {
          flow,
          scopes: verdict.refusedScopes,
          retryAfterSeconds: verdict.retryAfterSeconds,
          degraded: verdict.degraded,
          ...options.details,
        },
        ip: context.ip ?? null,
        userAgent: context.userAgent ?? null,
        requestId: context.requestId ?? null,
      });
    } catch (error) {
      // The refusal stands without its record; the log says so.
      logger().error(
        {
          event: { action: "ratelimit.refused" },
          error: { message: error instanceof Error ? error.message : String(error) },
        },
        "could not audit a rate-limit refusal",
      );
    }
  }
  return { ok: false, retryAfterSeconds: verdict.retryAfterSeconds, message };
};

/**
 * For domain functions acting for a signed-in person: counts the attempt for the person and
 * their IP (`context.ip`; none known, as from a CLI, means the person's limit only), or throws
 * RATE_LIMITED (HTTP 429 with Retry-After) with the reason and the wait.
 */
export const enforceRateLimit = async (options: {
  flow: TLimitedFlow;
  userId: string;
  context?: TAuditContext;
  now?: Date;
}): Promise<void> => {
  const { flow, userId, context, now } = options;
  const decision = await checkRateLimit({ flow, by: { userId, ip: context?.ip }, actorId: userId, context, now });
  if (!decision.ok)
    throw new AppError("RATE_LIMITED", decision.message, {}, { retryAfterSeconds: decision.retryAfterSeconds });
};
