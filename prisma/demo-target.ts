/**
 * Development only: wires the demo resource `prod-postgres` to a real PostgreSQL target on the
 * same cluster as the portal's database, so `npm run dev` shows the credential flow with nothing
 * to set up. Creates (idempotently) a target database `<portal db>_target` with a table
 * `orders`, an admin role with CREATEROLE and pg_signal_backend (not a superuser), a read and a
 * write role, and the connector (kind postgres, read -> the read role, write -> the write role).
 * Names carry a short hash of the portal database's name, so two portals on one cluster (dev and
 * e2e) never see each other's login roles as drift.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { getConfig } from "../lib/config";
import { db } from "../lib/db";

const DEMO_RESOURCE = "prod-postgres";
const CONNECTOR_NAME = "demo target";

export const wireDemoTarget = async (): Promise<{ wired: boolean; database: string }> => {
  const portal = new URL(getConfig().databaseUrl);
  const portalDb = decodeURIComponent(portal.pathname.slice(1));
  const token = createHash("sha256").update(portalDb).digest("hex").slice(0, 6);
  const database = `${portalDb}_target`.slice(0, 63);
  const [admin, read, write] = [`jit_${token}_admin`, `jit_${token}_read`, `jit_${token}_write`];
  const ident = pg.escapeIdentifier;
  const connect = async (name: string) => {
    const url = new URL(portal);
    url.pathname = `/${encodeURIComponent(name)}`;
    const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
    await client.connect();
    return client;
  };

  const root = await connect(portalDb);
  try {
    const exists = await root.query("select 1 from pg_database where datname = $1", [database]);
    if (!exists.rowCount) await root.query(`create database ${ident(database)}`);
    for (const [role, options] of [
      [admin, "login createrole"],
      [read, "nologin"],
      [write, "nologin"],
    ] as const) {
      const found = await root.query("select 1 from pg_roles where rolname = $1", [role]);
      if (!found.rowCount) await root.query(`create role ${ident(role)} ${options}`);
    }
    await root.query(`grant pg_signal_backend to ${ident(admin)}`);
  } finally {
    await root.end();
  }
  const target = await connect(database);
  try {
    await target.query("create table if not exists orders (id serial primary key, item text not null, total numeric)");
    const rows = await target.query("select count(*)::int as n from orders");
    if ((rows.rows[0] as { n: number }).n === 0)
      await target.query("insert into orders (item, total) values ('keyboard', 49.90), ('monitor', 189.00)");
    await target.query(`grant usage on schema public to ${ident(read)}`);
    await target.query(`grant select on all tables in schema public to ${ident(read)}`);
    await target.query(`grant ${ident(read)} to ${ident(write)}`);
    await target.query(`grant insert, update, delete on all tables in schema public to ${ident(write)}`);
    await target.query(`grant usage on all sequences in schema public to ${ident(write)}`);
    await target.query(`grant create on schema public to ${ident(admin)}`);
  } finally {
    await target.end();
  }

  const resource = await db.resource.findUnique({ where: { key: DEMO_RESOURCE }, select: { id: true } });
  if (!resource) return { wired: false, database };
  const adminUrl = new URL(portal);
  adminUrl.username = admin;
  adminUrl.password = "";
  adminUrl.pathname = `/${encodeURIComponent(database)}`;
  await db.connector.upsert({
    where: { resourceId_name: { resourceId: resource.id, name: CONNECTOR_NAME } },
    create: {
      resourceId: resource.id,
      name: CONNECTOR_NAME,
      kind: "postgres",
      settings: { adminUrl: adminUrl.toString(), loginRolePattern: `jit_${token}_{user}_{grant}` },
      mapping: { read: [read], write: [write] },
    },
    update: {},
  });
  return { wired: true, database };
};
