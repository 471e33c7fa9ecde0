/**
 * Drift (standing privilege): runs every connector's `inspect()` and compares what the target
 * holds with the grants. Access no live grant explains (a member added by hand, a deprovision
 * that half-failed, a grant's role holding a role its permissions do not map to) becomes an
 * open finding; security hears of new ones (in-app, e-mail, chat). With the resource's
 * connector set to remove drift, the access is removed at once and the finding says so. A
 * finding whose access is gone at the next run is resolved.
 */
import { appendAuditEvent } from "../audit";
import { db } from "../db";
import { notify } from "../notify";
import { CONNECTOR_ROW_SELECT, describeFailure, loadConnector, targetsOf, type TConnectorRow } from "./internal";
import type { TInspectEntry } from "./types";

// A grant that just ended may still be in its deprovision: not drift yet (the sweeper's job).
const ENDED_GRACE_MS = 60_000;

export type TDriftResult = { connectors: number; found: number; resolved: number; removed: number; errors: number };

const openKey = (connectorId: string, entry: TInspectEntry) =>
  `${connectorId}/${entry.principal}/${entry.target ?? ""}`;

/** The access each principal may hold: its grant's mapped targets, for grants live (or just ended). */
const explained = async (row: TConnectorRow, mapping: Record<string, string[]>, now: Date) => {
  const states = await db.grantProvisioning.findMany({
    where: {
      connectorId: row.id,
      externalRef: { not: null },
      grant: {
        startsAt: { lte: new Date(now.getTime() + ENDED_GRACE_MS) },
        expiresAt: { gt: new Date(now.getTime() - ENDED_GRACE_MS) },
        OR: [{ revokedAt: null }, { revokedAt: { gt: new Date(now.getTime() - ENDED_GRACE_MS) } }],
      },
    },
    select: { externalRef: true, grant: { select: { permissions: true } } },
  });
  const allowed = new Map<string, Set<string>>();
  for (const state of states)
    if (state.externalRef) allowed.set(state.externalRef, new Set(targetsOf(state.grant.permissions, mapping)));
  return (entry: TInspectEntry): boolean => {
    const targets = allowed.get(entry.principal);
    return targets !== undefined && (entry.target === null || targets.has(entry.target));
  };
};

export const detectDrift = async (options: { now?: Date; connectorId?: string } = {}): Promise<TDriftResult> => {
  const now = options.now ?? new Date();
  const rows = await db.connector.findMany({
    where: { disabledAt: null, ...(options.connectorId ? { id: options.connectorId } : {}) },
    select: CONNECTOR_ROW_SELECT,
  });
  const result: TDriftResult = { connectors: rows.length, found: 0, resolved: 0, removed: 0, errors: 0 };
  for (const row of rows) {
    try {
      const { connector, context } = loadConnector(row);
      const entries = await connector.inspect(context);
      const isExplained = await explained(row, context.mapping, now);
      const drift = entries.filter((entry) => !isExplained(entry));
      const keys = drift.map((entry) => openKey(row.id, entry));
      const removed = new Set<string>();
      if (row.autoRemoveDrift && connector.removeDrift)
        for (const entry of drift) {
          await connector.removeDrift(context, entry);
          removed.add(openKey(row.id, entry));
        }
      await db.$transaction(async (tx) => {
        const existing = await tx.driftFinding.findMany({
          where: { connectorId: row.id, resolvedAt: null },
          select: { id: true, openKey: true },
        });
        const known = new Set(existing.map((finding) => finding.openKey));
        const fresh = drift.filter((entry) => !known.has(openKey(row.id, entry)));
        if (fresh.length > 0)
          await tx.driftFinding.createMany({
            data: fresh.map((entry) => ({
              connectorId: row.id,
              principal: entry.principal,
              target: entry.target ?? "",
              description: entry.description.slice(0, 500),
              lastSeenAt: now,
              openKey: openKey(row.id, entry),
            })),
            skipDuplicates: true,
          });
        await tx.driftFinding.updateMany({
          where: { connectorId: row.id, resolvedAt: null, openKey: { in: keys } },
          data: { lastSeenAt: now },
        });
        const gone = existing.filter((finding) => finding.openKey && !keys.includes(finding.openKey));
        if (gone.length > 0)
          await tx.driftFinding.updateMany({
            where: { id: { in: gone.map((finding) => finding.id) } },
            data: { resolvedAt: now, resolution: "access gone", openKey: null },
          });
        if (removed.size > 0)
          await tx.driftFinding.updateMany({
            where: { connectorId: row.id, resolvedAt: null, openKey: { in: [...removed] } },
            data: { resolvedAt: now, resolution: "removed automatically", openKey: null },
          });
        result.found += fresh.length;
        result.resolved += gone.length;
        result.removed += removed.size;
        if (fresh.length === 0) return;
        await appendAuditEvent(tx, {
          actorType: "SYSTEM",
          actorId: "drift-check",
          action: "provisioning.drift_found",
          targetType: "connector",
          targetId: row.id,
          outcome: "ALLOWED",
          details: {
            resource: row.resource.key,
            findings: fresh.map((entry) => ({ principal: entry.principal, target: entry.target })).slice(0, 50),
            removedAutomatically: fresh.filter((entry) => removed.has(openKey(row.id, entry))).length,
          },
        });
        await notify(tx, {
          recipients: { security: true },
          kind: "security.drift_found",
          title: `Access no grant explains: ${fresh.length} on ${row.resource.key}`,
          body: [
            ...fresh.slice(0, 20).map((entry) => `- ${entry.description}`),
            ...(fresh.length > 20 ? [`- and ${fresh.length - 20} more`] : []),
            row.autoRemoveDrift ? "Removed automatically." : "Not removed: review it in the Security area.",
          ].join("\n"),
          link: "/security/findings",
        });
      });
    } catch (error) {
      result.errors += 1;
      console.error(
        JSON.stringify({ event: "drift.check_failed", connectorId: row.id, error: describeFailure(error) }),
      );
    }
  }
  return result;
};
