/**
 * The end-of-access timer (ADR 0060): access stops at the grant's end instant, whatever the
 * queue is doing. The worker reads from PostgreSQL, every `refreshMs`, the provisioned grants
 * whose end (expiry or revocation) falls within the next `horizonMs`, keeps them in memory and
 * sets one timer at the earliest end. When it fires, it confirms on a connection of its own that
 * the end has not moved (an extension), then asks each connector to end the access of all its
 * grants due at once (`endAccess`: NOLOGIN and the sessions killed, for PostgreSQL).
 *
 * It is the fast path of the end only. The deprovision job still runs at the same instant and
 * does the clean-up (the role dropped, the record and its audit event), and the sweeper still
 * closes whatever the job missed. Neither needs Redis for the end itself: a burst of ends that
 * fills the job slots, or a Redis that lost the jobs, no longer delays the moment access stops.
 * Every step is idempotent, so a second worker process running its own timer only repeats it.
 */
import pg from "pg";
import { getConfig } from "../config";
import { ACCESS_ENDED_CHANNEL } from "./access-ended-channel";
import { db } from "../db";
import {
  CONNECTOR_ROW_SELECT,
  describeFailure,
  endOf,
  GRANT_SELECT,
  loadConnector,
  provisioningGrantOf,
  type TConnectorRow,
} from "./internal";
import { connectorKinds, connectorOf } from "./registry";
import type { TProvisioningGrant } from "./types";

export type TEndAccessResult = {
  /** Grants whose access a connector ended in this firing. */
  ended: number;
  sessionsTerminated: number;
  /** Per grant, from its end to the connector's answer. */
  lagMs: number[];
  failed: number;
};

export type TEndAccessTimerOptions = {
  /** How far ahead each read of PostgreSQL looks (default 15 s). */
  horizonMs?: number;
  /** How often PostgreSQL is read again (default 1 s): a revocation is acted on within this. */
  refreshMs?: number;
  /** The portal's database, for the confirmation connection (default: DATABASE_URL). */
  databaseUrl?: string;
  onEnded?: (result: TEndAccessResult) => void;
  onError?: (error: unknown) => void;
};

type TEntry = {
  key: string;
  grantId: string;
  connectorId: string;
  endsAt: number;
  grant: TProvisioningGrant;
};

const entryKey = (grantId: string, connectorId: string, endsAt: number) => `${grantId}:${connectorId}:${endsAt}`;

/** The kinds whose connector can end access at once. */
const fastKinds = (): string[] => connectorKinds().filter((kind) => connectorOf(kind)?.endAccess);

/** Provisioned grants of those kinds whose access ends before `until` (past ends included). */
const readDue = async (until: Date, kinds: string[]) => {
  const rows = await db.$queryRaw<
    Array<{ grantId: string; connectorId: string; externalRef: string | null; state: unknown }>
  >`
    select p."grantId", p."connectorId", p."externalRef", p.state
      from "GrantProvisioning" p
      join "Grant" g on g.id = p."grantId"
      join "Connector" c on c.id = p."connectorId"
     where c.kind = any(${kinds}::text[])
       and p."provisionedAt" is not null
       and (p."deprovisionedAt" is null or p."deprovisionedAt" < greatest(p."provisionStartedAt", p."provisionedAt"))
       and least(coalesce(g."revokedAt", g."expiresAt"), g."expiresAt") <= ${until}::timestamp(3)
     order by least(coalesce(g."revokedAt", g."expiresAt"), g."expiresAt")
     limit 5000`;
  if (rows.length === 0) return { entries: [] as TEntry[], connectors: new Map<string, TConnectorRow>() };
  const [grants, connectorRows] = await Promise.all([
    db.grant.findMany({ where: { id: { in: [...new Set(rows.map((row) => row.grantId))] } }, select: GRANT_SELECT }),
    db.connector.findMany({
      where: { id: { in: [...new Set(rows.map((row) => row.connectorId))] } },
      select: CONNECTOR_ROW_SELECT,
    }),
  ]);
  const grantById = new Map(grants.map((grant) => [grant.id, grant]));
  const connectors = new Map(connectorRows.map((row) => [row.id, row]));
  const entries = rows.flatMap((row): TEntry[] => {
    const grant = grantById.get(row.grantId);
    const connector = connectors.get(row.connectorId);
    if (!grant || !connector) return [];
    const mapping = (connector.mapping ?? {}) as Record<string, string[]>;
    const endsAt = endOf(grant).getTime();
    return [
      {
        key: entryKey(row.grantId, row.connectorId, endsAt),
        grantId: row.grantId,
        connectorId: row.connectorId,
        endsAt,
        grant: provisioningGrantOf(grant, mapping, row),
      },
    ];
  });
  return { entries, connectors };
};

export const startEndAccessTimer = (options: TEndAccessTimerOptions = {}): { stop: () => Promise<void> } => {
  const horizonMs = options.horizonMs ?? 15_000;
  const refreshMs = options.refreshMs ?? 1_000;
  const kinds = fastKinds();
  const pending = new Map<string, TEntry>();
  /** Ended by this timer and not yet closed by the deprovision: not ended again. */
  const done = new Set<string>();
  let connectors = new Map<string, TConnectorRow>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let wakeRefresh: (() => void) | undefined;

  // A connection of its own: the confirmation reads on it (the process's pool may be full of
  // jobs waiting on the audit chain's lock exactly when many grants end together), and it
  // listens for revocations, which commit a notice on ACCESS_ENDED_CHANNEL: the next read
  // happens at once instead of at the next refresh.
  let confirmClient: pg.Client | null = null;
  let readAgain = false;
  const confirmConnection = async (): Promise<pg.Client> => {
    if (confirmClient) return confirmClient;
    const client = new pg.Client({
      connectionString: options.databaseUrl ?? getConfig().databaseUrl,
      application_name: "jit-access-end-timer",
      connectionTimeoutMillis: 5_000,
    });
    client.on("error", () => {
      if (confirmClient === client) confirmClient = null;
      client.end().catch(() => undefined);
    });
    client.on("notification", () => {
      readAgain = true;
      wakeRefresh?.();
    });
    await client.connect();
    await client.query(`listen ${ACCESS_ENDED_CHANNEL}`);
    confirmClient = client;
    return client;
  };
  /** The grants among `entries` whose access has ended by `now`, as PostgreSQL says now. */
  const confirm = async (entries: TEntry[], now: number): Promise<Set<string>> => {
    const client = await confirmConnection();
    // Timestamps are stored as UTC wall times without a zone: the ISO string's zone is ignored.
    const at = new Date(now).toISOString();
    const result = await client.query<{ id: string }>(
      `select id from "Grant"
        where id = any($1::text[])
          and (("revokedAt" is not null and "revokedAt" <= $2::timestamp(3)) or "expiresAt" <= $2::timestamp(3))`,
      [[...new Set(entries.map((entry) => entry.grantId))], at],
    );
    return new Set(result.rows.map((row) => row.id));
  };

  const arm = () => {
    clearTimeout(timer);
    if (stopped || pending.size === 0) return;
    const next = Math.min(...[...pending.values()].map((entry) => entry.endsAt));
    timer = setTimeout(fire, Math.max(0, next - Date.now()));
  };

  // Firings overlap: the next end never waits for the previous one's target to answer.
  const inFlight = new Set<Promise<void>>();
  const fire = (): void => {
    if (stopped) return;
    const now = Date.now();
    const due = [...pending.values()].filter((entry) => entry.endsAt <= now);
    // Taken now, not when the target answers: a read in between must not schedule them again.
    for (const entry of due) {
      pending.delete(entry.key);
      done.add(entry.key);
    }
    arm();
    if (due.length === 0) return;
    const run = endDue(due, now).catch((error: unknown) => options.onError?.(error));
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };

  const endDue = async (due: TEntry[], now: number): Promise<void> => {
    const ended = await confirm(due, now);
    const result: TEndAccessResult = { ended: 0, sessionsTerminated: 0, lagMs: [], failed: 0 };
    const byConnector = new Map<string, TEntry[]>();
    for (const entry of due) {
      // Moved (an extension): the next read schedules the new end.
      if (!ended.has(entry.grantId)) continue;
      byConnector.set(entry.connectorId, [...(byConnector.get(entry.connectorId) ?? []), entry]);
    }
    const timeline: Array<{ grantId: string; connectorId: string; kind: string; message: string }> = [];
    await Promise.all(
      [...byConnector.entries()].map(async ([connectorId, entries]) => {
        const row = connectors.get(connectorId);
        if (!row) return;
        try {
          const { connector, context } = loadConnector(row);
          const sessions =
            (await connector.endAccess?.(
              context,
              entries.map((entry) => entry.grant),
            )) ?? new Map();
          const answered = Date.now();
          for (const entry of entries) {
            const count = sessions.get(entry.grantId) ?? 0;
            const lag = Math.max(0, answered - entry.endsAt);
            result.ended += 1;
            result.sessionsTerminated += count;
            result.lagMs.push(lag);
            timeline.push({
              grantId: entry.grantId,
              connectorId,
              kind: "access-ended",
              message: `${connector.label} access ended ${lag} ms after ${entry.grant.revokedAt ? "revocation" : "end"}: logins disabled, sessions terminated: ${count}`,
            });
          }
        } catch (error) {
          // The deprovision job and the sweeper still end it; their failures are the loud ones.
          // Not tried again by the timer (they stay in `done`): the job retries with backoff, a
          // target that is down is not hammered every second.
          result.failed += entries.length;
          for (const entry of entries)
            timeline.push({
              grantId: entry.grantId,
              connectorId,
              kind: "failed",
              message: `ending access at once failed (the deprovision follows): ${describeFailure(error)}`.slice(
                0,
                1000,
              ),
            });
        }
      }),
    );
    options.onEnded?.(result);
    if (timeline.length > 0) await db.provisioningEvent.createMany({ data: timeline });
  };

  const refresh = async (): Promise<void> => {
    const { entries, connectors: rows } = await readDue(new Date(Date.now() + horizonMs), kinds);
    connectors = rows;
    const current = new Set(entries.map((entry) => entry.key));
    // What the deprovision closed (or an extension moved) is forgotten.
    for (const key of done) if (!current.has(key)) done.delete(key);
    for (const key of pending.keys()) if (!current.has(key)) pending.delete(key);
    for (const entry of entries) if (!done.has(entry.key)) pending.set(entry.key, entry);
    arm();
  };

  const loop = async () => {
    while (!stopped) {
      readAgain = false;
      try {
        if (kinds.length > 0) {
          await confirmConnection();
          await refresh();
        }
      } catch (error) {
        options.onError?.(error);
      }
      if (readAgain || stopped) continue;
      await new Promise<void>((resolve) => {
        wakeRefresh = resolve;
        refreshTimer = setTimeout(resolve, refreshMs);
      });
      wakeRefresh = undefined;
    }
  };
  const running = loop();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(refreshTimer);
      wakeRefresh?.();
      await running;
      await Promise.allSettled([...inFlight]);
      await confirmClient?.end().catch(() => undefined);
    },
  };
};
