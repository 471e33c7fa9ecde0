/**
 * PostgreSQL: a login role per grant, `VALID UNTIL` the grant's end, member of the roles the
 * grant's permissions map to. The target itself refuses new logins at the end even if every
 * worker is down; `deprovision` then ends the sessions already open and drops the role.
 *
 * The admin role needs CREATEROLE (to create, alter and drop login roles and grant them the
 * mapped roles) and membership in `pg_signal_backend` (to end other roles' sessions); it need
 * not be a superuser. Role names come from a pattern and are always quoted with
 * `escapeIdentifier`; nothing the portal's users typed reaches SQL unquoted.
 */
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { z } from "zod";
import { openTarget } from "../outbound";
import type { TConnector, TConnectorContext, TInspectEntry, TProvisioningGrant } from "../types";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const PATTERN =
  /^[a-z_][a-z0-9_]*(\{user\}[a-z0-9_]*)?\{grant\}[a-z0-9_]*$|^[a-z_][a-z0-9_]*\{grant\}[a-z0-9_]*\{user\}[a-z0-9_]*$/;

const ZAdminUrl = z
  .string()
  .trim()
  .max(500)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (
        (url.protocol === "postgresql:" || url.protocol === "postgres:") && url.hostname !== "" && url.username !== ""
      );
    } catch {
      return false;
    }
  }, "A postgresql://user@host:port/database URL.")
  // The password is the connector's sealed credential, never a setting stored in the clear.
  .refine(
    (value) => URL.canParse(value) && new URL(value).password === "",
    "Leave the password out of the URL: enter it as the credential.",
  );

export const ZPostgresSettings = z.strictObject({
  adminUrl: ZAdminUrl,
  loginRolePattern: z
    .string()
    .trim()
    .max(40)
    .regex(PATTERN, "Lowercase letters, digits and _, with {grant} (and optionally {user}), e.g. jit_{user}_{grant}.")
    .default("jit_{user}_{grant}"),
  /** Who receives objects a grant's role created before it is dropped; default: the admin role. */
  reassignOwnedTo: z.string().trim().regex(IDENTIFIER, "A role name: lowercase letters, digits and _.").optional(),
  /** Host (and port) grantees connect to, when it differs from the admin URL's (e.g. a proxy). */
  connectHost: z
    .string()
    .trim()
    .max(253)
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, "A host name, optionally with :port.")
    .optional(),
});
export type TPostgresSettings = z.output<typeof ZPostgresSettings>;
type TContext = TConnectorContext<TPostgresSettings>;

// ---- names ---------------------------------------------------------------------------------

const slug = (value: string, max: number): string =>
  value
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, max) || "user";

/** The grant's 12 last hex digits: UUIDv7's random tail, unique enough per target and stable. */
const grantToken = (grantId: string): string => grantId.replaceAll("-", "").slice(-12).toLowerCase();

/** The login role for a grant, from the pattern; always a valid identifier of at most 63 bytes. */
export const loginRoleName = (pattern: string, grant: Pick<TProvisioningGrant, "grantId" | "subject">): string => {
  const fixed = pattern.replace("{user}", "").replace("{grant}", "").length;
  const user = slug(grant.subject.email?.split("@")[0] ?? grant.subject.name, Math.max(1, 63 - fixed - 12));
  return pattern.replace("{user}", user).replace("{grant}", grantToken(grant.grantId)).slice(0, 63);
};

/** Matches the login roles the pattern can produce (for `inspect`). */
export const loginRoleRegex = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split(/(\{user\}|\{grant\})/)
      .map((part) =>
        part === "{user}" ? "[a-z0-9_]+" : part === "{grant}" ? "[0-9a-f]{12}" : part.replace(/[^a-z0-9_]/g, ""),
      )
      .join("")}$`,
  );

// ---- connections ---------------------------------------------------------------------------

type TPoolEntry = { pool: pg.Pool; urgent: pg.Pool; ender: pg.Pool; database: string; host: string; port: number };
// Two small pools per connector and credential, for the process: a burst of expiries reuses
// connections instead of paying a login each. `urgent` only ends access (NOLOGIN, then the open
// sessions), a few milliseconds per grant, so it never waits behind the slower clean-up
// transactions (REASSIGN, DROP OWNED, DROP ROLE) that hold `pool`'s connections. `ender` is the
// end-of-access timer's (endAccess), so the instant of an end never queues behind the jobs.
const pools = new Map<string, Promise<TPoolEntry>>();

const poolFor = (context: TContext): Promise<TPoolEntry> => {
  const key = createHash("sha256")
    .update(`${context.connectorId}\0${context.settings.adminUrl}\0${context.credential}`)
    .digest("hex");
  let entry = pools.get(key);
  if (!entry) {
    entry = (async () => {
      const url = new URL(context.settings.adminUrl);
      const { host, port } = await openTarget(context.settings.adminUrl, 5432);
      const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres";
      const open = (max: number, name: string) => {
        const created = new pg.Pool({
          host,
          port,
          user: decodeURIComponent(url.username),
          database,
          password: context.credential || undefined,
          max,
          idleTimeoutMillis: 10_000,
          connectionTimeoutMillis: 5_000,
          statement_timeout: 10_000,
          application_name: name,
        });
        // An idle client's error (the target restarted) must not crash the worker.
        created.on("error", () => undefined);
        return created;
      };
      return {
        pool: open(8, "jit-access-connector"),
        urgent: open(4, "jit-access-connector-end"),
        ender: open(2, "jit-access-connector-timer"),
        database,
        host,
        port,
      };
    })();
    entry.catch(() => pools.delete(key));
    pools.set(key, entry);
  }
  return entry;
};

/** Closes every target pool (tests, worker shutdown). */
export const closePostgresTargets = async (): Promise<void> => {
  const entries = [...pools.values()];
  pools.clear();
  await Promise.allSettled(
    entries.map(async (entry) => {
      const { pool, urgent, ender } = await entry;
      await Promise.allSettled([pool.end(), urgent.end(), ender.end()]);
    }),
  );
};

/**
 * Another run changing the same role at the same instant (the sweeper and the job; the urgent
 * NOLOGIN, which takes no lock, beside the locked clean-up) makes PostgreSQL refuse one of them
 * with "tuple concurrently updated". Each step is idempotent: try it again, a few times.
 */
const retryConcurrentUpdate = async <T>(work: () => Promise<T>, attempt = 0): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    const concurrent = (error as { code?: string }).code === "XX000" && /concurrently/.test(String(error));
    if (!concurrent || attempt >= 5) throw error;
    await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
    return retryConcurrentUpdate(work, attempt + 1);
  }
};

/** One transaction on the target, tried again whole when a concurrent change to a role refused it. */
const inTransaction = <T>(context: TContext, work: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
  retryConcurrentUpdate(() => inTransactionOnce(context, work));

const inTransactionOnce = async <T>(context: TContext, work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
  const { pool } = await poolFor(context);
  const client = await pool.connect();
  try {
    await client.query("begin");
    const result = await work(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
};

const ident = (name: string): string => pg.escapeIdentifier(name);
const literal = (value: string): string => pg.escapeLiteral(value);

/** Serialises operations on one role across workers (a retry racing the sweeper). */
const lockRole = (client: pg.PoolClient, role: string) =>
  client.query("select pg_advisory_xact_lock(hashtext('jit-connector-role:' || $1))", [role]);

const roleExists = async (client: pg.PoolClient, role: string): Promise<boolean> =>
  ((await client.query("select 1 from pg_roles where rolname = $1", [role])).rowCount ?? 0) > 0;

const roleFor = (context: TContext, grant: TProvisioningGrant): string =>
  grant.externalRef ?? loginRoleName(context.settings.loginRolePattern, grant);

// ---- operations ----------------------------------------------------------------------------

const provision: TConnector<TPostgresSettings>["provision"] = async (context, grant) => {
  const role = roleFor(context, grant);
  const validUntil = literal(grant.expiresAt.toISOString());
  const { database, host, port } = await poolFor(context);
  return inTransaction(context, async (client) => {
    await lockRole(client, role);
    const exists = await roleExists(client, role);
    // A fresh password when the portal has no record of handing one out: the first provision,
    // or a retry after a crash that lost the first (whose password then stops working).
    const password = exists && grant.externalRef ? null : randomBytes(24).toString("base64url");
    const passwordClause = password === null ? "" : ` password ${literal(password)}`;
    if (exists) await client.query(`alter role ${ident(role)} login${passwordClause} valid until ${validUntil}`);
    else
      await client.query(
        `create role ${ident(role)} login${passwordClause} valid until ${validUntil} connection limit 20`,
      );
    for (const target of grant.targets) await client.query(`grant ${ident(target)} to ${ident(role)}`);
    // Roles the mapping names that the grant no longer holds (a narrowed mapping) are taken back.
    const mapped = [...new Set(Object.values(context.mapping).flat())].filter((name) => !grant.targets.includes(name));
    for (const other of mapped)
      if ((await client.query("select 1 from pg_roles where rolname = $1", [other])).rowCount)
        await client.query(`revoke ${ident(other)} from ${ident(role)}`);
    const shownHost = context.settings.connectHost ?? (host.includes(":") ? `[${host}]` : host);
    const hostPort = shownHost.includes(":") && !shownHost.startsWith("[") ? shownHost : `${shownHost}:${port}`;
    const credential =
      password === null
        ? null
        : {
            title: "PostgreSQL login",
            fields: [
              { label: "Username", value: role },
              { label: "Password", value: password, secret: true },
              {
                label: "psql",
                value: `psql "postgresql://${encodeURIComponent(role)}:${encodeURIComponent(password)}@${hostPort}/${encodeURIComponent(database)}"`,
                secret: true,
              },
              { label: "Valid until", value: grant.expiresAt.toISOString() },
            ],
          };
    return {
      externalRef: role,
      outcome: exists ? ("updated" as const) : ("created" as const),
      summary: exists
        ? `PostgreSQL role ${role} valid until ${grant.expiresAt.toISOString()}`
        : `PostgreSQL role ${role} created`,
      credential,
    };
  });
};

/** NOLOGIN, end its sessions, hand over what it owns, drop it. Returns the sessions ended. */
const dropLoginRole = async (context: TContext, client: pg.PoolClient, role: string): Promise<number> => {
  await client.query(`alter role ${ident(role)} nologin`);
  // Waits (up to 2 s each) until the backend is gone, so "terminated" means ended.
  const terminated = await client.query<{ ended: string }>(
    `select count(*) filter (where pg_terminate_backend(pid, 2000)) as ended
       from pg_stat_activity where usename = $1 and pid <> pg_backend_pid()`,
    [role],
  );
  // REASSIGN OWNED needs the admin to be a member of the role (PostgreSQL 15 does not make the
  // creator one); CREATEROLE lets it take the membership.
  await client.query(`grant ${ident(role)} to current_user`);
  const owner = context.settings.reassignOwnedTo;
  await client.query(`reassign owned by ${ident(role)} to ${owner ? ident(owner) : "current_user"}`);
  await client.query(`drop owned by ${ident(role)}`);
  await client.query(`drop role ${ident(role)}`);
  return Number(terminated.rows[0]?.ended ?? 0);
};

/**
 * What the grantee notices, first and at once: NOLOGIN commits on its own (an early revocation is
 * before the role's VALID UNTIL), then every open session of the role is ended, without waiting
 * for the backends to exit. The clean-up transaction after it waits for them.
 */
const endAccessNow = async (context: TContext, role: string): Promise<number> => {
  const { urgent } = await poolFor(context);
  const ended = await urgent.query<{ ended: string }>(
    `select count(*) filter (where pg_terminate_backend(pid)) as ended
       from pg_stat_activity where usename = $1 and pid <> pg_backend_pid()`,
    [role],
  );
  return Number(ended.rows[0]?.ended ?? 0);
};

const deprovision: TConnector<TPostgresSettings>["deprovision"] = async (context, grant) => {
  const role = roleFor(context, grant);
  const { urgent } = await poolFor(context);
  // NOLOGIN before the sessions end, so none can come back between; a role already gone is fine.
  const disable = async (): Promise<boolean> => {
    try {
      await urgent.query(`alter role ${ident(role)} nologin`);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === "42704") return false; // undefined_object: already dropped
      throw error;
    }
  };
  const disabled = await retryConcurrentUpdate(disable);
  const endedAtOnce = disabled ? await endAccessNow(context, role) : 0;
  return inTransaction(context, async (client) => {
    await lockRole(client, role);
    if (!(await roleExists(client, role)))
      return {
        outcome: "absent" as const,
        sessionsTerminated: endedAtOnce,
        summary: `PostgreSQL role ${role} already gone`,
      };
    const sessions = await dropLoginRole(context, client, role);
    return {
      outcome: "removed" as const,
      sessionsTerminated: Math.max(endedAtOnce, sessions),
      summary: `PostgreSQL role ${role} dropped`,
    };
  });
};

/**
 * The end-of-access timer's step (ADR 0060): for every grant due, NOLOGIN and the end of its
 * sessions, in two round trips on the `ender` pool whatever the number of grants. A role that is
 * gone, or that another run is changing at this instant, is skipped in the NOLOGIN: `VALID UNTIL`
 * refuses its new logins at an expiry anyway, and the deprovision that follows repeats it.
 */
const endAccess: NonNullable<TConnector<TPostgresSettings>["endAccess"]> = async (context, grants) => {
  const roles = new Map(grants.map((grant) => [roleFor(context, grant), grant.grantId]));
  const ended = new Map<string, number>();
  if (roles.size === 0) return ended;
  const { ender } = await poolFor(context);
  const names = [...roles.keys()].map(literal).join(", ");
  await ender.query(`do $jit$
    declare name text;
    begin
      foreach name in array array[${names}]::text[] loop
        begin
          execute format('alter role %I nologin', name);
        exception when others then null;
        end;
      end loop;
    end $jit$`);
  const terminated = await ender.query<{ usename: string; ended: string }>(
    `select usename, count(*) filter (where pg_terminate_backend(pid)) as ended
       from pg_stat_activity where usename = any($1::text[]) and pid <> pg_backend_pid()
      group by usename`,
    [[...roles.keys()]],
  );
  for (const row of terminated.rows) {
    const grantId = roles.get(row.usename);
    if (grantId) ended.set(grantId, Number(row.ended));
  }
  return ended;
};

const inspect: TConnector<TPostgresSettings>["inspect"] = async (context) => {
  const mapped = [...new Set(Object.values(context.mapping).flat())];
  const { pool } = await poolFor(context);
  const members = await pool.query<{ target: string; member: string }>(
    `select r.rolname as target, m.rolname as member
       from pg_auth_members am
       join pg_roles r on r.oid = am.roleid
       join pg_roles m on m.oid = am.member
      where r.rolname = any($1::text[]) and m.rolname <> current_user
        -- A mapped role inside another (write includes read) is the design, not access; a
        -- member counts when it can log in or is one of the grants' roles.
        and m.rolname <> all($1::text[]) and (m.rolcanlogin or m.rolname ~ $2)
      order by 1, 2`,
    [mapped, loginRoleRegex(context.settings.loginRolePattern).source],
  );
  const pattern = loginRoleRegex(context.settings.loginRolePattern);
  const logins = await pool.query<{ rolname: string; rolcanlogin: boolean }>(
    "select rolname, rolcanlogin from pg_roles where rolname ~ $1 order by 1",
    [pattern.source],
  );
  const entries: TInspectEntry[] = [
    ...members.rows.map((row) => ({
      principal: row.member,
      target: row.target,
      description: `${row.member} is a member of ${row.target}`,
    })),
    ...logins.rows.map((row) => ({
      principal: row.rolname,
      target: null,
      description: `${row.rolcanlogin ? "login" : "nologin"} role ${row.rolname} exists`,
    })),
  ];
  return entries;
};

const removeDrift: NonNullable<TConnector<TPostgresSettings>["removeDrift"]> = async (context, entry) => {
  await inTransaction(context, async (client) => {
    await lockRole(client, entry.principal);
    if (!(await roleExists(client, entry.principal))) return;
    if (entry.target !== null) {
      await client.query(`revoke ${ident(entry.target)} from ${ident(entry.principal)}`);
      // A login role of ours holding a mapped role nobody granted: its sessions go too.
      if (loginRoleRegex(context.settings.loginRolePattern).test(entry.principal))
        await dropLoginRole(context, client, entry.principal);
    } else if (loginRoleRegex(context.settings.loginRolePattern).test(entry.principal)) {
      await dropLoginRole(context, client, entry.principal);
    }
  });
};

const test: TConnector<TPostgresSettings>["test"] = async (context) => {
  try {
    const { pool } = await poolFor(context);
    const mapped = [...new Set(Object.values(context.mapping).flat())];
    const who = await pool.query<{ user: string; createrole: boolean; superuser: boolean; signal: boolean }>(
      `select current_user as user, r.rolcreaterole as createrole, r.rolsuper as superuser,
              pg_has_role(current_user, 'pg_signal_backend', 'member') as signal
         from pg_roles r where r.rolname = current_user`,
    );
    const found = await pool.query<{ rolname: string }>(
      "select rolname from pg_roles where rolname = any($1::text[])",
      [mapped],
    );
    const row = who.rows[0];
    if (!row) return { ok: false, error: "Connected, but could not read the admin role." };
    const missing = mapped.filter((name) => !found.rows.some((r) => r.rolname === name));
    const problems = [
      ...(row.createrole || row.superuser ? [] : [`${row.user} lacks CREATEROLE`]),
      ...(row.signal || row.superuser
        ? []
        : [`${row.user} is not a member of pg_signal_backend (sessions cannot be ended)`]),
      ...(missing.length > 0 ? [`mapped roles not found: ${missing.join(", ")}`] : []),
    ];
    if (problems.length > 0) return { ok: false, error: `Connected as ${row.user}, but ${problems.join("; ")}.` };
    return {
      ok: true,
      detail: `Connected as ${row.user}; CREATEROLE; mapped roles found: ${mapped.join(", ") || "(none mapped)"}.`,
    };
  } catch (error) {
    return { ok: false, error: describePgError(error) };
  }
};

/** A target's error, without anything that could carry the credential. */
export const describePgError = (error: unknown): string => {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
};

export const postgresConnector: TConnector<TPostgresSettings> = {
  kind: "postgres",
  label: "PostgreSQL",
  settingsSchema: ZPostgresSettings,
  credentialLabel: "Admin role's password (empty for trust or peer authentication)",
  provision,
  deprovision,
  endAccess,
  inspect,
  test,
  removeDrift,
};
