/**
 * `npm run db:seed`: demo resources and policies. Idempotent: resources are matched by key
 * and policies by (resource, name), so running it twice changes nothing. Refuses to run in
 * production unless asked with `--allow-production`.
 */
import { pathToFileURL } from "node:url";
import { appendAuditEvent } from "../lib/audit";
import { ConfigError, getConfig } from "../lib/config";
import { db, disconnectDb } from "../lib/db";
import { atTime } from "../lib/clock";
import { bundleItemRows } from "../lib/catalog/catalog-bundles";
import { DEMO_BUNDLES, DEMO_RESOURCES } from "./demo-data";
import { seedDemoHistory, type TDemoHistoryResult } from "./demo-history";
import { wireDemoTarget } from "./demo-target";

export const seedDemoData = async (): Promise<{ resources: number; policies: number; created: number }> => {
  let created = 0;
  await db.$transaction(async (tx) => {
    for (const { policies, ...resource } of DEMO_RESOURCES) {
      const existing = await tx.resource.findUnique({ where: { key: resource.key }, select: { id: true } });
      const { id: resourceId } = existing ?? (await tx.resource.create({ data: resource, select: { id: true } }));
      if (!existing) created += 1;
      for (const policy of policies) {
        const found = await tx.accessPolicy.findUnique({
          where: { resourceId_name: { resourceId, name: policy.name } },
          select: { id: true },
        });
        if (found) continue;
        await tx.accessPolicy.create({ data: { ...policy, resourceId } });
        created += 1;
      }
    }
    // Bundles by name (ADR 0054): each item names its policy by resource key and policy name.
    for (const bundle of DEMO_BUNDLES) {
      if (await tx.bundle.findUnique({ where: { name: bundle.name }, select: { id: true } })) continue;
      const items = await bundleItemRows(tx, bundle.items);
      await tx.bundle.create({
        data: { name: bundle.name, description: bundle.description, items: { create: items } },
      });
      created += 1;
    }
    if (created > 0) {
      await appendAuditEvent(tx, {
        actorType: "SYSTEM",
        actorId: "seed",
        action: "seed.apply",
        outcome: "ALLOWED",
        details: { created },
      });
    }
  });
  return {
    resources: DEMO_RESOURCES.length,
    policies: DEMO_RESOURCES.reduce((sum, resource) => sum + resource.policies.length, 0),
    created,
  };
};

const HISTORY_DAYS = 30;

/**
 * The demo catalog, and on a database where nothing has happened yet a month of history before
 * it (prisma/demo-history.ts): the catalog is then written as of the history's first day, so the
 * audit chain reads in the order of time. A database with events gets the catalog only.
 */
export const seedDemo = async (
  options: { now?: Date } = {},
): Promise<{ catalog: Awaited<ReturnType<typeof seedDemoData>>; history: TDemoHistoryResult }> => {
  const now = options.now ?? new Date();
  if ((await db.auditEvent.count()) > 0)
    return {
      catalog: await seedDemoData(),
      history: { seeded: false, reason: "the database already has audit events (start from an empty one)" },
    };
  const catalog = await atTime(new Date(now.getTime() - HISTORY_DAYS * 86_400_000 - 3_600_000), seedDemoData);
  return { catalog, history: await seedDemoHistory({ now, days: HISTORY_DAYS }) };
};

export const describeHistory = (history: TDemoHistoryResult): string =>
  history.seeded
    ? `${HISTORY_DAYS} days of history: ${history.requests} requests, ${history.grants} grants, ${history.auditEvents} audit events`
    : `no history (${history.reason})`;

const main = async () => {
  try {
    const config = getConfig();
    if (config.isProduction && !process.argv.includes("--allow-production")) {
      console.error("Refusing to seed demo data in production. Pass --allow-production if you really mean it.");
      process.exit(1);
    }
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  const { catalog: result, history } = await seedDemo();
  console.log(`seed: ${result.resources} resources, ${result.policies} policies (${result.created} created)`);
  console.log(`seed: ${describeHistory(history)}`);
  if (!getConfig().isProduction) {
    // The credential flow with nothing to set up; a cluster that refuses is not a seed failure.
    const target = await wireDemoTarget().catch((error: unknown) => {
      console.error(
        `seed: demo PostgreSQL target not wired: ${error instanceof Error ? error.message : String(error)}`,
      );
      return null;
    });
    if (target?.wired) console.log(`seed: prod-postgres provisions login roles in database ${target.database}`);
  }
  await disconnectDb();
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
