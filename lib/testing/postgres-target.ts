/**
 * A real PostgreSQL target on the local cluster for connector tests and benches: a database of
 * its own, an admin role with CREATEROLE and pg_signal_backend (not a superuser), a read role
 * and a write role on one table. Every name carries a per-run token; `drop()` removes the
 * database and every role the run created, the grants' login roles included.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { getConfig } from "../config";

export type TPostgresTarget = {
  database: string;
  adminRole: string;
  adminPassword: string;
  /** postgresql://admin@host:port/database, without the password (that is the credential). */
  adminUrl: string;
  readRole: string;
  writeRole: string;
  /** Login roles of the grants: `${prefix}{user}_{grant}`. */
  loginRolePattern: string;
  /** Runs SQL as the cluster's superuser in the target database (for tests: "by hand"). */
  superuser: (sql: string, values?: unknown[]) => Promise<pg.QueryResult>;
  /** Connects as a grantee with a password; the caller ends the client. */
  login: (user: string, password: string) => Promise<pg.Client>;
  drop: () => Promise<void>;
};

/**
 * On the portal's own cluster by default; `clusterUrl` (a superuser URL) puts the target on
 * another one, e.g. a private cluster with password authentication (./postgres-cluster.ts).
 */
export const createPostgresTarget = async (options: { clusterUrl?: string } = {}): Promise<TPostgresTarget> => {
  const clusterUrl = (database: string): URL => {
    const url = new URL(options.clusterUrl ?? getConfig().databaseUrl);
    url.pathname = `/${database}`;
    return url;
  };
  const token = randomBytes(4).toString("hex");
  const database = `jit_target_${token}`;
  const adminRole = `jit_t${token}_admin`;
  const readRole = `jit_t${token}_read`;
  const writeRole = `jit_t${token}_write`;
  const adminPassword = randomBytes(18).toString("base64url");
  const ident = pg.escapeIdentifier;

  const root = new pg.Client({ connectionString: clusterUrl("postgres").toString() });
  await root.connect();
  try {
    await root.query(`create database ${ident(database)}`);
    await root.query(
      `create role ${ident(adminRole)} login createrole password ${pg.escapeLiteral(adminPassword)} connection limit 50`,
    );
    await root.query(`grant pg_signal_backend to ${ident(adminRole)}`);
    await root.query(`create role ${ident(readRole)} nologin`);
    await root.query(`create role ${ident(writeRole)} nologin`);
    await root.query(`grant ${ident(readRole)} to ${ident(writeRole)}`);
  } finally {
    await root.end();
  }
  const superuser = async (sql: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: clusterUrl(database).toString() });
    await client.connect();
    try {
      return await client.query(sql, values);
    } finally {
      await client.end();
    }
  };
  await superuser(`create table items (id serial primary key, name text not null)`);
  await superuser(`insert into items (name) values ('alpha'), ('beta')`);
  await superuser(`grant usage on schema public to ${ident(readRole)}`);
  await superuser(`grant select on items to ${ident(readRole)}`);
  await superuser(`grant insert, update, delete on items to ${ident(writeRole)}`);
  await superuser(`grant usage on sequence items_id_seq to ${ident(writeRole)}`);
  // The admin may create objects for the reassignment of what grantees leave behind.
  await superuser(`grant create on schema public to ${ident(adminRole)}`);

  const admin = clusterUrl(database);
  admin.username = adminRole;
  admin.password = "";
  admin.search = "";
  const prefix = `jit_t${token}_`;
  return {
    database,
    adminRole,
    adminPassword,
    adminUrl: admin.toString(),
    readRole,
    writeRole,
    loginRolePattern: `${prefix}{user}_{grant}`,
    superuser,
    login: async (user, password) => {
      const url = clusterUrl(database);
      const client = new pg.Client({
        // No `user:pass@` from the cluster URL: the grantee's own name and password only.
        host: url.hostname,
        port: Number(url.port || 5432),
        database,
        user,
        password,
        connectionTimeoutMillis: 5_000,
      });
      // A killed session reports through 'error'; tests read it from the failed query.
      client.on("error", () => undefined);
      await client.connect();
      return client;
    },
    drop: async () => {
      const client = new pg.Client({ connectionString: clusterUrl("postgres").toString() });
      await client.connect();
      try {
        await client.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [database]);
        await client.query(`drop database if exists ${ident(database)} with (force)`);
        const roles = await client.query<{ rolname: string }>(
          `select rolname from pg_roles where rolname like $1 order by rolname like '%\\_admin' , rolname`,
          [`${prefix}%`],
        );
        for (const { rolname } of roles.rows) {
          await client.query(`select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`, [rolname]);
          await client.query(`drop role if exists ${ident(rolname)}`).catch(() => undefined);
        }
        // Roles are dropped in an order that may leave one holding another: a second pass.
        for (const { rolname } of roles.rows)
          await client.query(`drop role if exists ${ident(rolname)}`).catch(() => undefined);
      } finally {
        await client.end();
      }
    },
  };
};

/** Login roles a target still holds for a pattern's prefix (leftovers must be 0). */
export const countLoginRoles = async (target: TPostgresTarget): Promise<number> => {
  const prefix = target.loginRolePattern.split("{")[0] ?? "";
  const result = await target.superuser(
    `select count(*)::int as n from pg_roles where rolname like $1 and rolname not in ($2, $3, $4)`,
    [`${prefix}%`, target.adminRole, target.readRole, target.writeRole],
  );
  return (result.rows[0] as { n: number }).n;
};
