import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { policyValues } from "./internal";
import type { TPolicy } from "./schemas";

export type TCatalogPolicy = TPolicy & { id: string; pendingRequests: number; totalRequests: number };

export type TCatalogResource = {
  id: string;
  key: string;
  name: string;
  description: string;
  environment: string;
  permissions: string[];
  slackChannel: string | null;
  archivedAt: Date | null;
  policies: TCatalogPolicy[];
};

const include = {
  policies: { include: { _count: { select: { requests: true } } } },
} as const;

type TRow = Awaited<ReturnType<typeof loadRows>>[number];

const loadRows = (where: { key?: string }) => db.resource.findMany({ where, include });

/** Pending requests per policy, in one query for all the rows. */
const pendingByPolicy = async (rows: TRow[]): Promise<Map<string, number>> => {
  if (rows.length === 0) return new Map();
  const pending = await db.accessRequest.groupBy({
    by: ["policyId"],
    where: { resourceId: { in: rows.map((row) => row.id) }, status: "PENDING" },
    _count: { _all: true },
  });
  return new Map(pending.map((entry) => [entry.policyId, entry._count._all]));
};

const toCatalogResource = (row: TRow, pending: Map<string, number>): TCatalogResource => {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    environment: row.environment,
    slackChannel: row.slackChannel,
    permissions: row.permissions,
    archivedAt: row.archivedAt,
    policies: row.policies
      .map((policy) => ({
        ...policyValues(policy),
        id: policy.id,
        pendingRequests: pending.get(policy.id) ?? 0,
        totalRequests: policy._count.requests,
      }))
      // Code-unit order, the same in every locale and database collation.
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
};

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Administrators: every resource (archived ones last) with its policies and request counts. */
export const listCatalog = async (options: {
  actor: TUserActor;
  context?: TAuditContext;
}): Promise<TCatalogResource[]> => {
  await assertCan(options.actor, "catalog.manage", undefined, options.context);
  const rows = await loadRows({});
  const pending = await pendingByPolicy(rows);
  return rows
    .map((row) => toCatalogResource(row, pending))
    .sort((a, b) => Number(a.archivedAt !== null) - Number(b.archivedAt !== null) || byKey(a, b));
};

/** Administrators: one resource by key, archived or not. */
export const getCatalogResource = async (options: {
  actor: TUserActor;
  key: string;
  context?: TAuditContext;
}): Promise<TCatalogResource> => {
  await assertCan(options.actor, "catalog.manage", undefined, options.context);
  const [row] = await loadRows({ key: options.key });
  if (!row) throw new AppError("NOT_FOUND", `No resource with key "${options.key}".`);
  return toCatalogResource(row, await pendingByPolicy([row]));
};
