import type { Db } from "../db";
import { deviceFamily, networkPrefix } from "./device";
import { RISK_RULES, type TRiskFacts } from "./signals";

/**
 * The facts the risk signals need, read inside the request's transaction (after its
 * per-requester lock, so two concurrent submissions see each other in order). Devices and
 * networks come from the person's earlier sign-ins (the audit log keeps them; sessions are
 * pruned) other than the current one, and from their earlier requests.
 */
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
  const [earlierForResource, earlier, signIns, anomalies] = await Promise.all([
    tx.accessRequest.count({ where: { requesterId: userId, resourceId: options.resource.id, createdAt: { lt: now } } }),
    tx.accessRequest.findMany({
      where: { requesterId: userId, createdAt: { gte: since, lt: now } },
      select: { createdAt: true, sourceIp: true, userAgent: true, breakGlass: true },
      orderBy: { createdAt: "desc" },
      take: 1000,
    }),
    tx.auditEvent.findMany({
      where: {
        actorType: "USER",
        actorId: userId,
        action: "auth.sign_in",
        outcome: "ALLOWED",
        occurredAt: { gte: since },
        NOT: { targetId: options.sessionId },
      },
      select: { ip: true, userAgent: true },
      orderBy: { occurredAt: "desc" },
      take: 1000,
    }),
    tx.usageSignal.findMany({
      where: { userId, flagged: true, createdAt: { gte: anomaliesSince, lte: now } },
      select: { reason: true },
      orderBy: { createdAt: "desc" },
      take: 100,
    }),
  ]);
  const seen = [...earlier.map((row) => ({ ip: row.sourceIp, userAgent: row.userAgent })), ...signIns];
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
