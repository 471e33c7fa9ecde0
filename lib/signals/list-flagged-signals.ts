import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { BASELINE_RULES, type TBaseline } from "./baseline";

type TListFlaggedSignalsOptions = { actor: TUserActor; limit?: number; context?: TAuditContext };

const readBaseline = (value: unknown): TBaseline | null => {
  if (!value || typeof value !== "object") return null;
  const { samples, median, mad, threshold } = value as Record<string, unknown>;
  return typeof samples === "number" &&
    typeof median === "number" &&
    typeof mad === "number" &&
    typeof threshold === "number"
    ? { samples, median, mad, threshold }
    : null;
};

/**
 * The Security area's Signals page: the latest flagged usage reports, newest first, with the
 * person, the resource, the reporting service, why it flagged, what the policy did and the
 * baseline it was judged against. Security reviewers and administrators (audit.read).
 */
export const listFlaggedSignals = async ({ actor, limit = 50, context }: TListFlaggedSignalsOptions) => {
  await assertCan(actor, "audit.read", undefined, context);
  const rows = await db.usageSignal.findMany({
    where: { flagged: true },
    orderBy: { createdAt: "desc" },
    take: Math.min(Math.max(limit, 1), 200),
  });
  const [users, resources, clients] = await Promise.all([
    db.user.findMany({
      where: { id: { in: [...new Set(rows.map((row) => row.userId))] } },
      select: { id: true, name: true },
    }),
    db.resource.findMany({
      where: { id: { in: [...new Set(rows.map((row) => row.resourceId))] } },
      select: { id: true, key: true },
    }),
    db.serviceClient.findMany({
      where: { id: { in: [...new Set(rows.map((row) => row.clientId))] } },
      select: { id: true, name: true },
    }),
  ]);
  const name = <T extends { id: string }>(list: T[], id: string, pick: (item: T) => string) => {
    const found = list.find((item) => item.id === id);
    return found ? pick(found) : id;
  };
  return {
    baselineDays: BASELINE_RULES.days,
    signals: rows.map((row) => ({
      id: row.id,
      createdAt: row.createdAt,
      person: name(users, row.userId, (user) => user.name),
      resource: name(resources, row.resourceId, (resource) => resource.key),
      client: name(clients, row.clientId, (client) => client.name),
      grantId: row.grantId,
      metric: row.metric,
      perMinute: row.perMinute,
      event: row.event,
      severity: row.severity,
      reason: row.reason ?? "",
      response: row.response,
      baseline: readBaseline(row.baseline),
    })),
  };
};
export type TFlaggedSignalsView = Awaited<ReturnType<typeof listFlaggedSignals>>;

/** A grant's flagged usage signals, for its timeline (the caller has checked grant.read). */
export const listGrantSignals = (grantId: string) =>
  db.usageSignal.findMany({
    where: { grantId, flagged: true },
    orderBy: { createdAt: "asc" },
    take: 100,
    select: { createdAt: true, reason: true, response: true },
  });
