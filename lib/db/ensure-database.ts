import pg from "pg";

/**
 * Creates the database named in `databaseUrl` if it is missing, connecting to the server's
 * `postgres` database to do so. Throws a message that names the URL when the server is down.
 */
export const ensureDatabase = async (databaseUrl: string): Promise<"created" | "exists"> => {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`DATABASE_URL: unsupported database name "${name}"`);
  // The database itself first: on a managed server the app's role may not reach `postgres`.
  const direct = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await direct.connect();
    return "exists";
  } catch (error) {
    if ((error as { code?: string }).code !== "3D000") throw error; // 3D000: no such database
  } finally {
    await direct.end().catch(() => undefined);
  }
  const admin = new URL(databaseUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount) return "exists";
    await client.query(`create database "${name}"`);
    return "created";
  } finally {
    await client.end();
  }
};

export const dropDatabase = async (databaseUrl: string): Promise<void> => {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  const admin = new URL(databaseUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
};
