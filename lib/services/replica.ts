/**
 * The in-process replica of active and scheduled grants that answers checks (a data plane:
 * no database round trip per check). Built from PostgreSQL at start, then kept in step by the
 * change feed (feed.ts): every change of a grant, a user or a service client leaves a row in
 * "ReplicaChange" whose `seq` follows commit order; the replica reads `seq > lastSeq` when
 * poked through Redis pub/sub and at least every `pollMs` anyway, so a lost message costs at
 * most one poll. A sequence that goes backwards (a restored database) triggers a rebuild, and
 * so does a sync after a long gap (feed rows older than an hour are pruned).
 *
 * Exactness does not depend on the feed: every check compares `startsAt <= now < expiresAt`
 * and `revokedAt` at the moment of the check, so a grant is never reported active at or after
 * its expiry, whatever the sweeper or the workers are doing.
 */
import type { Redis } from "ioredis";
import { parseSubjectId, subjectIdOf } from "../auth/subject-id";
import { db } from "../db";
import { createRedis } from "../redis";
import { registerLocalReplica, replicaChannel } from "./feed";
import { REPLICA_CHANGE_KEEP_MS } from "./prune-replica-changes";

/** A replica out of step this long may have missed pruned feed rows: it rebuilds instead. */
const REBUILD_AFTER_MS = REPLICA_CHANGE_KEEP_MS / 2;

export type TReplicaGrant = {
  id: string;
  subjectId: string;
  resourceKey: string;
  permissions: readonly string[];
  startsAt: number;
  expiresAt: number;
  revokedAt: number | null;
  requestId: string | null;
};

export type TReplicaClient = {
  id: string;
  enabled: boolean;
  scopes: readonly string[];
  resourceKeys: readonly string[];
};

/** `email` is the verified address or null (lib/auth/claims.ts); `subjectId` is issuer#subject. */
type TUserState = { email: string | null; subjectId: string; deactivated: boolean };

export type TCheckSubject = { id: string; subjectId: string; email: string | null };
export type TCheckResult =
  { allowed: true; grant: { id: string; expiresAt: number }; subject: TCheckSubject } | { allowed: false };

const USER_SELECT = { id: true, email: true, issuer: true, subject: true, deactivatedAt: true } as const;
type TUserRow = { email: string | null; issuer: string; subject: string; deactivatedAt: Date | null };
const toUserState = (user: TUserRow): TUserState => ({
  email: user.email,
  subjectId: subjectIdOf(user),
  deactivated: user.deactivatedAt !== null,
});

const grantSelect = {
  id: true,
  subjectId: true,
  permissions: true,
  startsAt: true,
  expiresAt: true,
  revokedAt: true,
  requestId: true,
  resource: { select: { key: true } },
  subject: { select: { email: true, issuer: true, subject: true, deactivatedAt: true } },
} as const;

type TGrantRow = {
  id: string;
  subjectId: string;
  permissions: string[];
  startsAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  requestId: string | null;
  resource: { key: string };
  subject: TUserRow;
};

const toReplicaGrant = (row: TGrantRow): TReplicaGrant => ({
  id: row.id,
  subjectId: row.subjectId,
  resourceKey: row.resource.key,
  permissions: row.permissions,
  startsAt: row.startsAt.getTime(),
  expiresAt: row.expiresAt.getTime(),
  revokedAt: row.revokedAt?.getTime() ?? null,
  requestId: row.requestId,
});

const isLive = (grant: TReplicaGrant, now: number): boolean =>
  now < grant.expiresAt && (grant.revokedAt === null || now < grant.revokedAt);

class State {
  readonly grants = new Map<string, TReplicaGrant>();
  /** subjectId -> resourceKey -> grants */
  readonly bySubject = new Map<string, Map<string, TReplicaGrant[]>>();
  readonly users = new Map<string, TUserState>();
  /** lower-cased verified email -> user ids */
  readonly emails = new Map<string, Set<string>>();
  /** issuer#subject -> user id */
  readonly subjectIds = new Map<string, string>();
  readonly clients = new Map<string, TReplicaClient>();

  setUser(id: string, user: TUserState): void {
    const previous = this.users.get(id);
    if (previous?.email) this.emails.get(previous.email.toLowerCase())?.delete(id);
    this.users.set(id, user);
    this.subjectIds.set(user.subjectId, id);
    if (!user.email) return;
    const key = user.email.toLowerCase();
    let ids = this.emails.get(key);
    if (!ids) this.emails.set(key, (ids = new Set()));
    ids.add(id);
  }

  removeGrant(id: string): void {
    const grant = this.grants.get(id);
    if (!grant) return;
    this.grants.delete(id);
    const byResource = this.bySubject.get(grant.subjectId);
    const list = byResource?.get(grant.resourceKey);
    if (!byResource || !list) return;
    const rest = list.filter((item) => item.id !== id);
    if (rest.length > 0) byResource.set(grant.resourceKey, rest);
    else byResource.delete(grant.resourceKey);
    if (byResource.size === 0) this.bySubject.delete(grant.subjectId);
  }

  putGrant(grant: TReplicaGrant): void {
    this.removeGrant(grant.id);
    this.grants.set(grant.id, grant);
    let byResource = this.bySubject.get(grant.subjectId);
    if (!byResource) this.bySubject.set(grant.subjectId, (byResource = new Map()));
    byResource.set(grant.resourceKey, [...(byResource.get(grant.resourceKey) ?? []), grant]);
  }

  applyGrantRow(row: TGrantRow, now: number): void {
    const grant = toReplicaGrant(row);
    this.setUser(row.subjectId, toUserState(row.subject));
    if (isLive(grant, now)) this.putGrant(grant);
    else this.removeGrant(grant.id);
  }
}

export type TReplicaOptions = {
  /** Poll interval of the change sequence; at most 1000 ms. */
  pollMs: number;
  /** Subscribe to the Redis pokes (off in tests that want to prove the poll alone suffices). */
  subscribe?: boolean;
  /**
   * Catch up synchronously when a writer in this process announces a change (default true).
   * Tests turn it off to stand for a replica in another process.
   */
  registerLocal?: boolean;
};

export class GrantReplica {
  private state = new State();
  private lastSeq = 0n;
  private syncing: Promise<void> | null = null;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  private subscriber: Redis | null = null;
  private unregister: (() => void) | null = null;
  private stopped = false;
  /** When the last successful catch-up started: the replica reflects every commit before it. */
  lastSyncStartedAt = 0;
  rebuilds = 0;

  constructor(private readonly options: TReplicaOptions) {}

  /** Loads everything, then follows the feed. Resolves once the replica can answer. */
  async start(): Promise<void> {
    await this.rebuild();
    if (this.options.registerLocal !== false) this.unregister = registerLocalReplica(this);
    this.timers.push(setInterval(() => void this.sync().catch(() => undefined), this.options.pollMs));
    // Expired and revoked grants leave memory; checks never depend on this sweep.
    this.timers.push(setInterval(() => this.sweep(), 30_000));
    for (const timer of this.timers) timer.unref();
    if (this.options.subscribe !== false) {
      const subscriber = createRedis({ maxRetriesPerRequest: null });
      subscriber.on("error", () => undefined);
      subscriber.on("message", () => void this.sync().catch(() => undefined));
      // A reconnect may have dropped messages: catch up at once.
      subscriber.on("ready", () => void this.sync().catch(() => undefined));
      await subscriber.subscribe(replicaChannel()).catch(() => undefined);
      this.subscriber = subscriber;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.unregister?.();
    if (this.subscriber) this.subscriber.disconnect();
    this.subscriber = null;
    await this.syncing?.catch(() => undefined);
  }

  /** Builds a fresh state aside, then swaps it in: checks keep being answered meanwhile. */
  async rebuild(): Promise<void> {
    const startedAt = Date.now();
    // The sequence first: a change committed after this read is applied again by the next
    // sync, and applying a change is idempotent (the row is re-read).
    const [head] = await db.$queryRaw<Array<{ seq: bigint | null }>>`select max(seq) as seq from "ReplicaChange"`;
    const now = new Date();
    const state = new State();
    const rows = await db.grant.findMany({
      where: { expiresAt: { gt: now }, OR: [{ revokedAt: null }, { revokedAt: { gt: now } }] },
      select: grantSelect,
    });
    for (const row of rows) state.applyGrantRow(row, now.getTime());
    const clients = await db.serviceClient.findMany({
      select: { id: true, disabledAt: true, scopes: true, resourceKeys: true },
    });
    for (const client of clients)
      state.clients.set(client.id, {
        id: client.id,
        enabled: client.disabledAt === null,
        scopes: client.scopes,
        resourceKeys: client.resourceKeys,
      });
    this.state = state;
    this.lastSeq = head?.seq ?? 0n;
    this.lastSyncStartedAt = startedAt;
    this.rebuilds += 1;
  }

  /** Catches up with the feed. Concurrent calls share one run (plus one more if asked meanwhile). */
  sync(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    const run = async () => {
      try {
        do {
          this.again = false;
          await this.catchUp();
        } while (this.again && !this.stopped);
      } finally {
        this.syncing = null;
      }
    };
    this.syncing = run();
    return this.syncing;
  }

  private async catchUp(): Promise<void> {
    const startedAt = Date.now();
    // Out of step for long (the database was unreachable, the process was paused): the rows it
    // missed may be pruned by now (prune-replica-changes.ts), so the feed cannot be trusted.
    if (this.lastSyncStartedAt > 0 && startedAt - this.lastSyncStartedAt > REBUILD_AFTER_MS) {
      await this.rebuild();
      return;
    }
    for (;;) {
      const changes = await db.$queryRaw<Array<{ seq: bigint; entity: string; entityId: string }>>`
        select seq, entity, "entityId" from "ReplicaChange" where seq > ${this.lastSeq} order by seq limit 5000`;
      if (changes.length === 0) {
        const [head] = await db.$queryRaw<Array<{ seq: bigint | null }>>`select max(seq) as seq from "ReplicaChange"`;
        // The sequence went backwards: another database (a restore). Start over.
        if ((head?.seq ?? 0n) < this.lastSeq) {
          await this.rebuild();
          return;
        }
        break;
      }
      const ids = (entity: string) => [
        ...new Set(changes.filter((change) => change.entity === entity).map((change) => change.entityId)),
      ];
      const grantIds = ids("grant");
      const userIds = ids("user");
      const clientIds = ids("client");
      const [grants, users, clients] = await Promise.all([
        grantIds.length ? db.grant.findMany({ where: { id: { in: grantIds } }, select: grantSelect }) : [],
        userIds.length ? db.user.findMany({ where: { id: { in: userIds } }, select: USER_SELECT }) : [],
        clientIds.length
          ? db.serviceClient.findMany({
              where: { id: { in: clientIds } },
              select: { id: true, disabledAt: true, scopes: true, resourceKeys: true },
            })
          : [],
      ]);
      const now = Date.now();
      const state = this.state;
      const found = new Set(grants.map((grant) => grant.id));
      for (const id of grantIds) if (!found.has(id)) state.removeGrant(id);
      for (const row of grants) state.applyGrantRow(row, now);
      for (const user of users) if (state.users.has(user.id)) state.setUser(user.id, toUserState(user));
      for (const id of clientIds) state.clients.delete(id);
      for (const client of clients)
        state.clients.set(client.id, {
          id: client.id,
          enabled: client.disabledAt === null,
          scopes: client.scopes,
          resourceKeys: client.resourceKeys,
        });
      this.lastSeq = changes[changes.length - 1]?.seq ?? this.lastSeq;
      if (changes.length < 5000) break;
    }
    this.lastSyncStartedAt = startedAt;
  }

  private sweep(): void {
    const now = Date.now();
    for (const grant of [...this.state.grants.values()]) if (!isLive(grant, now)) this.state.removeGrant(grant.id);
  }

  client(id: string): TReplicaClient | undefined {
    return this.state.clients.get(id);
  }

  /**
   * The user id `subject` names among the people the replica knows (those with a live or
   * scheduled grant): a subject id `issuer#sub`, a verified e-mail naming exactly one person,
   * or a user id. undefined when it names nobody here (lib/services/resolve-subject.ts asks
   * PostgreSQL by the same rules).
   */
  resolveSubject(subject: string): string | undefined {
    const state = this.state;
    if (parseSubjectId(subject)) return state.subjectIds.get(subject);
    if (subject.includes("@")) {
      const ids = state.emails.get(subject.toLowerCase());
      return ids?.size === 1 ? ids.values().next().value : undefined;
    }
    return subject;
  }

  /**
   * Does `subject` (a subject id `issuer#sub`, a user id, or a verified e-mail) hold
   * `permission` on `resource` at `now`? Only verified e-mails are stored, so an unverified one
   * names nobody; one naming more than one user (across issuers) is ambiguous and answers no.
   */
  check(subject: string, resource: string, permission: string, now = Date.now()): TCheckResult {
    const state = this.state;
    const userId = this.resolveSubject(subject);
    if (userId === undefined) return { allowed: false };
    const user = state.users.get(userId);
    if (!user || user.deactivated) return { allowed: false };
    const list = state.bySubject.get(userId)?.get(resource);
    if (!list) return { allowed: false };
    let best: TReplicaGrant | null = null;
    for (const grant of list) {
      if (
        grant.startsAt <= now &&
        now < grant.expiresAt &&
        (grant.revokedAt === null || now < grant.revokedAt) &&
        grant.permissions.includes(permission)
      ) {
        if (!best || grant.expiresAt > best.expiresAt) best = grant;
      }
    }
    return best
      ? {
          allowed: true,
          grant: { id: best.id, expiresAt: best.expiresAt },
          subject: { id: userId, subjectId: user.subjectId, email: user.email },
        }
      : { allowed: false };
  }

  stats(): { grants: number; users: number; clients: number; lastSeq: string } {
    return {
      grants: this.state.grants.size,
      users: this.state.users.size,
      clients: this.state.clients.size,
      lastSeq: this.lastSeq.toString(),
    };
  }
}
