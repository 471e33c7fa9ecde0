/**
 * One connector's step for one grant, run by the provisioning job, the sweeper and the tests:
 * make the grant's access real in the target (`provision`), or take it away (`deprovision`).
 *
 * The target is changed first and the portal's record written after, so a crash in between
 * leaves the record behind the target, never ahead of it: a repeat finds the target already
 * changed (every connector operation is idempotent) and writes the record then. A provision
 * that finishes after its grant ended is undone at once; the sweeper covers the rest.
 */
import { appendAuditEvent } from "../audit";
import { db, type Db } from "../db";
import { notify } from "../notify";
import { seal } from "../security/sealed";
import {
  CONNECTOR_ROW_SELECT,
  describeFailure,
  endOf,
  GRANT_SELECT,
  isLive,
  loadConnector,
  provisioningGrantOf,
  SEAL,
  type TGrantRow,
} from "./internal";
import { raiseDeprovisionAlert } from "./raise-deprovision-alert";

export type TProvisioningAction = "provision" | "deprovision";

export type TRunProvisioningOptions = {
  grantId: string;
  connectorId: string;
  action: TProvisioningAction;
  /** Who asked: the job, the sweeper, the drift check (for the record). */
  trigger?: "job" | "sweeper" | "test";
  now?: () => Date;
  signal?: AbortSignal;
};

export type TRunProvisioningResult =
  | { outcome: "provisioned"; externalRef: string; credentialIssued: boolean; latencyMs: number }
  | { outcome: "deprovisioned"; removed: boolean; sessionsTerminated: number | null; latencyMs: number }
  | { outcome: "skipped"; reason: string };

/** A job fired before its instant by more than the timer slack: retried with backoff. */
export class ProvisioningNotDueError extends Error {
  constructor(readonly dueAt: Date) {
    super(`provisioning step not due until ${dueAt.toISOString()}`);
    this.name = "ProvisioningNotDueError";
  }
}

// A delayed job may fire a little early by the other clock; waiting that out beats a retry.
const EARLY_SLACK_MS = 2_000;

const load = (grantId: string, connectorId: string) =>
  Promise.all([
    db.grant.findUnique({ where: { id: grantId }, select: GRANT_SELECT }),
    db.connector.findUnique({ where: { id: connectorId }, select: CONNECTOR_ROW_SELECT }),
    db.grantProvisioning.findUnique({ where: { grantId_connectorId: { grantId, connectorId } } }),
  ]);

const waitUntil = async (instant: Date, now: () => Date): Promise<void> => {
  const ahead = instant.getTime() - now().getTime();
  if (ahead <= 0) return;
  if (ahead > EARLY_SLACK_MS) throw new ProvisioningNotDueError(instant);
  await new Promise((resolve) => setTimeout(resolve, ahead));
};

const timeline = (tx: Db, grantId: string, connectorId: string, kind: string, message: string) =>
  tx.provisioningEvent.create({ data: { grantId, connectorId, kind, message: message.slice(0, 1000) } });

export const runProvisioning = async (options: TRunProvisioningOptions): Promise<TRunProvisioningResult> => {
  const now = options.now ?? (() => new Date());
  const [grant, row, state] = await load(options.grantId, options.connectorId);
  if (!grant) return { outcome: "skipped", reason: "grant not found" };
  if (!row || row.resource.id !== grant.resource.id) return { outcome: "skipped", reason: "connector not found" };
  const action = options.action;
  if (action === "provision") {
    if (row.disabledAt) return { outcome: "skipped", reason: "connector disabled" };
    if (grant.revokedAt || grant.expiresAt <= now()) return { outcome: "skipped", reason: "grant over" };
    await waitUntil(grant.startsAt, now);
    const alreadyDone =
      state?.provisionedAt &&
      (!state.deprovisionedAt || state.deprovisionedAt < state.provisionedAt) &&
      state.provisionedUntil?.getTime() === grant.expiresAt.getTime();
    if (alreadyDone) return { outcome: "skipped", reason: "already provisioned" };
  } else {
    // A deprovision for an end that moved (an extension) finds the grant still live: nothing to do.
    if (!grant.revokedAt) {
      if (grant.expiresAt.getTime() - now().getTime() > EARLY_SLACK_MS)
        return { outcome: "skipped", reason: "grant still live" };
      await waitUntil(grant.expiresAt, now);
    }
    const lastStart = Math.max(state?.provisionStartedAt?.getTime() ?? 0, state?.provisionedAt?.getTime() ?? 0);
    if (state?.deprovisionedAt && state.deprovisionedAt.getTime() >= lastStart)
      return { outcome: "skipped", reason: "already deprovisioned" };
  }

  const { connector, context } = loadConnector(row, options.signal);
  const subject = provisioningGrantOf(grant, context.mapping as Record<string, string[]>, state);
  const base = { grantId: grant.id, connectorId: row.id };
  if (action === "provision")
    await db.grantProvisioning.upsert({
      where: { grantId_connectorId: base },
      create: { ...base, provisionStartedAt: now() },
      update: { provisionStartedAt: now() },
    });

  try {
    if (action === "provision") {
      const result = await connector.provision(context, subject);
      const finished = now();
      const latencyMs = Math.max(0, finished.getTime() - grant.startsAt.getTime());
      const first =
        !state?.provisionedAt || (state.deprovisionedAt !== null && state.deprovisionedAt >= state.provisionedAt);
      await db.$transaction(async (tx) => {
        await tx.grantProvisioning.update({
          where: { grantId_connectorId: base },
          data: {
            externalRef: result.externalRef,
            provisionedAt: finished,
            provisionedUntil: grant.expiresAt,
            attempts: { increment: 1 },
            lastError: null,
            lastErrorAt: null,
            ...(result.state ? { state: result.state as object } : {}),
            ...(result.credential
              ? { credentialSealed: seal(JSON.stringify(result.credential), SEAL), credentialViewedAt: null }
              : {}),
          },
        });
        await timeline(
          tx,
          grant.id,
          row.id,
          "provisioned",
          first
            ? `${result.summary} ${latencyMs} ms after start`
            : `${result.summary} (${options.trigger === "sweeper" ? "sweeper" : "update"})`,
        );
        await appendAuditEvent(tx, {
          actorType: "SYSTEM",
          actorId: "provisioning",
          action: "grant.provisioned",
          targetType: "grant",
          targetId: grant.id,
          outcome: "ALLOWED",
          details: {
            connectorId: row.id,
            kind: row.kind,
            externalRef: result.externalRef,
            outcome: result.outcome,
            latencyMs,
            credentialIssued: Boolean(result.credential),
          },
        });
        if (result.credential)
          await notify(tx, {
            recipients: { userIds: [grant.subjectId] },
            kind: "grant.credential_ready",
            title: `Your ${connector.label} credential is ready: ${grant.resource.name}`,
            body: "Open the grant page to see it. It is shown once.",
            link: `/grants/${grant.id}`,
          });
      });
      // Revoked while the target was being changed: undo now rather than at the next sweep.
      const after = await db.grant.findUnique({ where: { id: grant.id }, select: GRANT_SELECT });
      if (after && !isLive(after, now()) && after.startsAt <= now())
        await runProvisioning({ ...options, action: "deprovision" });
      return {
        outcome: "provisioned",
        externalRef: result.externalRef,
        credentialIssued: Boolean(result.credential),
        latencyMs,
      };
    }

    const result = await connector.deprovision(context, subject);
    const finished = now();
    const latencyMs = Math.max(0, finished.getTime() - endOf(grant).getTime());
    const recorded = await db.$transaction(async (tx) => {
      // The job and the sweeper can close the same grant at once; the target serialises them and
      // the second finds nothing left. Only one of them records the end (the row is locked here).
      const [current] = await tx.$queryRaw<
        Array<{ deprovisionedAt: Date | null; provisionStartedAt: Date | null; provisionedAt: Date | null }>
      >`select "deprovisionedAt", "provisionStartedAt", "provisionedAt" from "GrantProvisioning"
         where "grantId" = ${grant.id} and "connectorId" = ${row.id} for update`;
      const startedAgain = Math.max(
        current?.provisionStartedAt?.getTime() ?? 0,
        current?.provisionedAt?.getTime() ?? 0,
      );
      if (result.outcome !== "removed" && current?.deprovisionedAt && current.deprovisionedAt.getTime() >= startedAgain)
        return false;
      await tx.grantProvisioning.upsert({
        where: { grantId_connectorId: base },
        create: { ...base, deprovisionedAt: finished, sessionsTerminated: result.sessionsTerminated, attempts: 1 },
        update: {
          deprovisionedAt: finished,
          sessionsTerminated: result.sessionsTerminated,
          attempts: { increment: 1 },
          lastError: null,
          lastErrorAt: null,
          // A credential nobody looked at is of no use any more: erased.
          credentialSealed: null,
          ...(result.state ? { state: result.state as object } : {}),
        },
      });
      if (result.outcome === "removed" || state?.provisionedAt)
        await timeline(
          tx,
          grant.id,
          row.id,
          "deprovisioned",
          [
            `${result.summary} ${latencyMs} ms after ${grant.revokedAt ? "revocation" : "end"}`,
            ...(result.sessionsTerminated !== null ? [`sessions terminated: ${result.sessionsTerminated}`] : []),
            ...(options.trigger === "sweeper" ? ["(sweeper)"] : []),
          ].join("; "),
        );
      await appendAuditEvent(tx, {
        actorType: "SYSTEM",
        actorId: "provisioning",
        action: "grant.deprovisioned",
        targetType: "grant",
        targetId: grant.id,
        outcome: "ALLOWED",
        details: {
          connectorId: row.id,
          kind: row.kind,
          outcome: result.outcome,
          sessionsTerminated: result.sessionsTerminated,
          latencyMs,
          trigger: options.trigger ?? "job",
        },
      });
      return true;
    });
    if (!recorded) return { outcome: "skipped", reason: "already deprovisioned" };
    return {
      outcome: "deprovisioned",
      removed: result.outcome === "removed",
      sessionsTerminated: result.sessionsTerminated,
      latencyMs,
    };
  } catch (error) {
    await recordFailure({ grant, connectorId: row.id, kind: row.kind, action, error, at: now() });
    throw error;
  }
};

const recordFailure = async (options: {
  grant: TGrantRow;
  connectorId: string;
  kind: string;
  action: TProvisioningAction;
  error: unknown;
  at: Date;
}): Promise<void> => {
  const { grant, connectorId, action, at } = options;
  const message = describeFailure(options.error);
  await db.$transaction(async (tx) => {
    await tx.grantProvisioning.upsert({
      where: { grantId_connectorId: { grantId: grant.id, connectorId } },
      create: { grantId: grant.id, connectorId, attempts: 1, lastError: message, lastErrorAt: at },
      update: { attempts: { increment: 1 }, lastError: message, lastErrorAt: at },
    });
    await timeline(tx, grant.id, connectorId, "failed", `${action} failed: ${message}`);
    await appendAuditEvent(tx, {
      actorType: "SYSTEM",
      actorId: "provisioning",
      action: action === "provision" ? "grant.provision_failed" : "grant.deprovision_failed",
      targetType: "grant",
      targetId: grant.id,
      outcome: "ERROR",
      reason: message,
      details: { connectorId, kind: options.kind },
    });
    // A grant that could not be closed is the worst outcome: security hears of it at once.
    if (action === "deprovision") await raiseDeprovisionAlert(tx, { grant, connectorId, message, at });
  });
};
