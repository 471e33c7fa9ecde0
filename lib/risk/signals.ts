/**
 * Risk signals: pure functions over facts gathered in the request's own transaction
 * (gather-facts.ts). Each signal has a stable code, a sentence an approver can read, and a
 * weight; the request's risk score is the sum of the weights. The rules are documented in
 * docs/features.md ("Risk signals") and docs/decisions/0013-risk-signals.md; keep them in step.
 */
import { z } from "zod";

export const RISK_CODES = [
  "first_request_for_resource",
  "outside_usual_hours",
  "new_device",
  "new_network",
  "request_burst",
  "near_max_duration",
  "production_privileged",
  "recent_usage_anomaly",
  "usage_extra_approval",
] as const;
export type TRiskCode = (typeof RISK_CODES)[number];

export const RISK_WEIGHTS: Record<TRiskCode, number> = {
  first_request_for_resource: 1,
  outside_usual_hours: 2,
  new_device: 1,
  new_network: 1,
  request_burst: 2,
  near_max_duration: 1,
  production_privileged: 2,
  recent_usage_anomaly: 2,
  // Not a score: the one more approval it stands for is added by itself (ADR 0042).
  usage_extra_approval: 0,
};

export const RISK_RULES = {
  /** How far back the history for usual hours, devices and networks reaches. */
  historyDays: 90,
  /** Usual hours need at least this many earlier requests; fewer say nothing. */
  usualHoursMinHistory: 5,
  /** An hour is usual when an earlier request was made within this many hours of it (UTC, wrapping at midnight). */
  usualHoursToleranceHours: 1,
  /** A burst: this many earlier requests within the window, whatever their outcome. */
  burstCount: 3,
  burstWindowMinutes: 60,
  /** "Near the maximum": at least this share of the policy's maximum duration. */
  nearMaxRatio: 0.8,
  /** Environments that count as production, compared case-insensitively. */
  productionEnvironments: ["production", "prod"],
  /** Permissions that change things. */
  privilegedPermissions: ["write", "admin"],
  /** A usage signal from a service flagged within this many days (any resource, ADR 0042). */
  usageAnomalyDays: 7,
} as const;

export const ZRiskSignal = z.object({ code: z.enum(RISK_CODES), reason: z.string(), weight: z.number().int() });
export type TRiskSignal = z.infer<typeof ZRiskSignal>;

export type TRiskFacts = {
  now: Date;
  resource: { key: string; environment: string };
  permissions: string[];
  durationMinutes: number;
  maxDurationMinutes: number;
  /** The requester's earlier requests for this resource, ever. */
  earlierRequestsForResource: number;
  /** When the requester's earlier requests (any resource) were made, within the history. */
  earlierRequestTimes: Date[];
  /** The requester's earlier requests within the burst window. */
  recentRequests: number;
  /** Where this request comes from; null when unknown (then the device signals say nothing). */
  device: string | null;
  network: string | null;
  /** Device families and networks seen at the requester's earlier sign-ins and requests. */
  knownDevices: string[];
  knownNetworks: string[];
  /** The requester's flagged usage signals within RISK_RULES.usageAnomalyDays, and the latest one's reason. */
  recentUsageAnomalies: number;
  latestUsageAnomaly: string | null;
};

const signal = (code: TRiskCode, reason: string): TRiskSignal => ({ code, reason, weight: RISK_WEIGHTS[code] });

const hourDistance = (a: number, b: number): number => {
  const distance = Math.abs(a - b) % 24;
  return Math.min(distance, 24 - distance);
};

const pad = (hour: number) => `${String(hour).padStart(2, "0")}:00`;

/** Hours of the day (UTC) seen in the history, as compact ranges: "08:00–11:00, 14:00–15:00". */
export const describeHours = (times: Date[]): string => {
  const hours = [...new Set(times.map((time) => time.getUTCHours()))].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const hour of hours) {
    const last = ranges.at(-1);
    if (last && hour === last[1] + 1) last[1] = hour;
    else ranges.push([hour, hour]);
  }
  return ranges.map(([from, to]) => `${pad(from)}–${pad((to + 1) % 24)}`).join(", ");
};

/** The signals a request raises, in RISK_CODES order. */
export const computeRiskSignals = (facts: TRiskFacts): TRiskSignal[] => {
  const signals: TRiskSignal[] = [];
  if (facts.earlierRequestsForResource === 0) {
    signals.push(signal("first_request_for_resource", `First request by this person for ${facts.resource.key}.`));
  }
  if (facts.earlierRequestTimes.length >= RISK_RULES.usualHoursMinHistory) {
    const hour = facts.now.getUTCHours();
    const usual = facts.earlierRequestTimes.some(
      (time) => hourDistance(time.getUTCHours(), hour) <= RISK_RULES.usualHoursToleranceHours,
    );
    if (!usual) {
      signals.push(
        signal(
          "outside_usual_hours",
          `Made at ${pad(hour)} UTC; this person's earlier requests were made at ${describeHours(facts.earlierRequestTimes)} UTC.`,
        ),
      );
    }
  }
  if (facts.device && facts.knownDevices.length > 0 && !facts.knownDevices.includes(facts.device)) {
    signals.push(signal("new_device", `From ${facts.device}, not seen at this person's earlier sign-ins or requests.`));
  }
  if (facts.network && facts.knownNetworks.length > 0 && !facts.knownNetworks.includes(facts.network)) {
    signals.push(
      signal("new_network", `From network ${facts.network}, not seen at this person's earlier sign-ins or requests.`),
    );
  }
  if (facts.recentRequests >= RISK_RULES.burstCount) {
    signals.push(
      signal(
        "request_burst",
        `${facts.recentRequests + 1} requests by this person within ${RISK_RULES.burstWindowMinutes} minutes.`,
      ),
    );
  }
  if (facts.durationMinutes >= facts.maxDurationMinutes * RISK_RULES.nearMaxRatio) {
    signals.push(
      signal("near_max_duration", `${facts.durationMinutes} minutes of at most ${facts.maxDurationMinutes}.`),
    );
  }
  const production = (RISK_RULES.productionEnvironments as readonly string[]).includes(
    facts.resource.environment.toLowerCase(),
  );
  const privileged = facts.permissions.filter((permission) =>
    (RISK_RULES.privilegedPermissions as readonly string[]).includes(permission),
  );
  if (production && privileged.length > 0) {
    signals.push(
      signal("production_privileged", `${privileged.join(" and ")} on a ${facts.resource.environment} resource.`),
    );
  }
  if (facts.recentUsageAnomalies > 0) {
    signals.push(
      signal(
        "recent_usage_anomaly",
        `${facts.recentUsageAnomalies} flagged usage signal${facts.recentUsageAnomalies === 1 ? "" : "s"} from services within ${RISK_RULES.usageAnomalyDays} days${facts.latestUsageAnomaly ? `; the latest: ${facts.latestUsageAnomaly}` : "."}`,
      ),
    );
  }
  return signals;
};

/** Shown to approvers when a flagged usage signal owes this request one more approval (ADR 0042). */
export const usageExtraApprovalSignal = (reason: string): TRiskSignal =>
  signal("usage_extra_approval", `One more approval: a service flagged this person's use of the resource: ${reason}`);

export const riskScore = (signals: readonly TRiskSignal[]): number =>
  signals.reduce((sum, item) => sum + item.weight, 0);

export type TRiskPolicy = { riskThreshold: number | null; riskExtraApprovals: number; riskBlocksAutoApproval: boolean };

/** What the policy's risk rules make of a score. */
export const applyRiskRules = (
  policy: TRiskPolicy,
  score: number,
): { reached: boolean; extraApprovals: number; blocksAutoApproval: boolean } => {
  const reached = policy.riskThreshold !== null && score >= policy.riskThreshold;
  return {
    reached,
    extraApprovals: reached ? policy.riskExtraApprovals : 0,
    blocksAutoApproval: reached && policy.riskBlocksAutoApproval,
  };
};

/** Stored signals back from the database's JSON; anything malformed is dropped, not shown. */
export const parseRiskSignals = (value: unknown): TRiskSignal[] =>
  Array.isArray(value)
    ? value.flatMap((item) => {
        const parsed = ZRiskSignal.safeParse(item);
        return parsed.success ? [parsed.data] : [];
      })
    : [];

export const RISK_LABELS: Record<TRiskCode, string> = {
  first_request_for_resource: "first request",
  outside_usual_hours: "unusual hour",
  new_device: "new device",
  new_network: "new network",
  request_burst: "burst of requests",
  near_max_duration: "near maximum duration",
  production_privileged: "production write/admin",
  recent_usage_anomaly: "recent usage anomaly",
  usage_extra_approval: "extra approval after a usage signal",
};
