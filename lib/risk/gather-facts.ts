import type { Db } from "../db";
import { deviceFamily, networkPrefix } from "./device";
import { RISK_RULES, type TRiskFacts } from "./signals";

/**
 * The facts the risk signals need, read inside the request's transaction (after its
 * per-requester lock, so two concurrent submissions see each other in order). Devices and
 * networks come from the person's earlier sign-ins (the audit log keeps them; sessions are
 * pruned) other than the current one, and from their earlier requests.
 */
type TFactRow = {
  earlierForResource: number;
  earlier: Array<{ at: number; ip: string | null; userAgent: string | null; breakGlass: boolean }>;
  signIns: Array<{ ip: string | null; userAgent: string | null }>;
  anomalies: Array<string | null>;
};

export const gatherRiskFacts = async (
  tx: Db,
  options: {
    userId: string;
    sessionId: string;
    resource: { id: string; key: string; environment: string };
    permissions: string[];
    durationMinutes: number;
    maxDurationMinutes: number;
    ip: string | null;
    userAgent: string | null;
    now: Date;
  },
): Promise<TRiskFacts> => {
  const { userId, now } = options;
  const since = new Date(now.getTime() - RISK_RULES.historyDays * 24 * 3_600_000);
  const burstSince = new Date(now.getTime() - RISK_RULES.burstWindowMinutes * 60_000);
  const anomaliesSince = new Date(now.getTime() - RISK_RULES.usageAnomalyDays * 24 * 3_600_000);
  // One hand-written statement for the four reads (issue 16): every submission makes it.
  const [facts] = await tx.$queryRaw<TFactRow[]>`
    select
      (select count(*)::int from "AccessRequest"
        where "requesterId" = ${userId} and "resourceId" = ${options.resource.id} and "createdAt" < ${now}::timestamp(3))
        as "earlierForResource",
      (select coalesce(json_agg(json_build_object('at', at, 'ip', "sourceIp", 'userAgent', "userAgent", 'breakGlass', "breakGlass")), '[]')
         from (select floor(extract(epoch from "createdAt") * 1000) as at, "sourceIp", "userAgent", "breakGlass"
                 from "AccessRequest"
                where "requesterId" = ${userId} and "createdAt" >= ${since}::timestamp(3) and "createdAt" < ${now}::timestamp(3)
                order by "createdAt" desc limit 1000) earlier)
        as earlier,
      (select coalesce(json_agg(json_build_object('ip', ip, 'userAgent', "userAgent")), '[]')
         from (select ip, "userAgent" from "AuditEvent"
                where "actorType" = 'USER' and "actorId" = ${userId} and action = 'auth.sign_in' and outcome = 'ALLOWED'
                  and "occurredAt" >= ${since}::timestamp(3) and "targetId" <> ${options.sessionId}
                order by "occurredAt" desc limit 1000) sign_ins)
        as "signIns",
      (select coalesce(json_agg(reason), '[]')
         from (select reason from "UsageSignal"
                where "userId" = ${userId} and flagged and "createdAt" >= ${anomaliesSince}::timestamp(3)
                  and "createdAt" <= ${now}::timestamp(3)
                order by "createdAt" desc limit 100) anomalies)
        as anomalies`;
  const earlierForResource = facts?.earlierForResource ?? 0;
  const earlier = (facts?.earlier ?? []).map((row) => ({ ...row, createdAt: new Date(row.at) }));
  const signIns = facts?.signIns ?? [];
  const anomalies = (facts?.anomalies ?? []).map((reason) => ({ reason }));
  const seen = [...earlier.map((row) => ({ ip: row.ip, userAgent: row.userAgent })), ...signIns];
  const distinct = (values: Array<string | null>) => [
    ...new Set(values.filter((value): value is string => value !== null)),
  ];
  return {
    now,
    resource: { key: options.resource.key, environment: options.resource.environment },
    permissions: options.permissions,
    durationMinutes: options.durationMinutes,
    maxDurationMinutes: options.maxDurationMinutes,
    earlierRequestsForResource: earlierForResource,
    // Emergencies happen at any hour: break-glass requests do not define usual hours.
    earlierRequestTimes: earlier.filter((request) => !request.breakGlass).map((request) => request.createdAt),
    recentRequests: earlier.filter((request) => request.createdAt >= burstSince).length,
    device: deviceFamily(options.userAgent),
    network: networkPrefix(options.ip),
    knownDevices: distinct(seen.map((row) => deviceFamily(row.userAgent))),
    knownNetworks: distinct(seen.map((row) => networkPrefix(row.ip))),
    recentUsageAnomalies: anomalies.length,
    latestUsageAnomaly: anomalies[0]?.reason ?? null,
  };
};
