/**
 * `npm run db:seed`: demo resources and policies. Idempotent: resources are matched by key
 * and policies by (resource, name), so running it twice changes nothing. Refuses to run in
 * production unless asked with `--allow-production`.
 */
import { pathToFileURL } from "node:url";
import { appendAuditEvent } from "../lib/audit";
import { ConfigError, getConfig } from "../lib/config";
import { db, disconnectDb } from "../lib/db";
import { DEMO_RESOURCES } from "./demo-data";
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
  const result = await seedDemoData();
  console.log(`seed: ${result.resources} resources, ${result.policies} policies (${result.created} created)`);
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
