import type { TUserActor } from "../authz";
import { db } from "../db";
import { itemLabel } from "./load-bundle";

export type TRequestableBundle = {
  id: string;
  name: string;
  description: string;
  items: Array<{ label: string; resourceName: string; policyName: string; maxDurationMinutes: number }>;
  /** The longest duration every item's policy allows. */
  maxDurationMinutes: number;
  defaultDurationMinutes: number;
  minJustificationLength: number;
  ticketRequired: boolean;
};

/**
 * The bundles this person may request: those where they are eligible for every item (a
 * bundle is requested whole; ADR 0054). With `bundleId`, at most that one.
 */
export const listRequestableBundles = async (options: {
  actor: TUserActor;
  bundleId?: string;
}): Promise<TRequestableBundle[]> => {
  const { actor } = options;
  if (actor.groups.length === 0) return [];
  const bundles = await db.bundle.findMany({
    where: options.bundleId ? { id: options.bundleId } : {},
    orderBy: { name: "asc" },
    include: {
      items: {
        orderBy: { position: "asc" },
        include: {
          policy: { include: { resource: { select: { key: true, name: true, archivedAt: true, permissions: true } } } },
        },
      },
    },
  });
  return bundles
    .filter(
      (bundle) =>
        bundle.items.length > 0 &&
        bundle.items.every(
          ({ policy, permission }) =>
            !policy.resource.archivedAt &&
            actor.groups.some((group) => policy.requesterGroups.includes(group)) &&
            policy.permissions.includes(permission) &&
            policy.resource.permissions.includes(permission),
        ),
    )
    .map((bundle) => {
      const policies = bundle.items.map((item) => item.policy);
      const maxDurationMinutes = Math.min(...policies.map((policy) => policy.maxDurationMinutes));
      return {
        id: bundle.id,
        name: bundle.name,
        description: bundle.description,
        items: bundle.items.map((item) => ({
          label: itemLabel(item),
          resourceName: item.policy.resource.name,
          policyName: item.policy.name,
          maxDurationMinutes: item.policy.maxDurationMinutes,
        })),
        maxDurationMinutes,
        defaultDurationMinutes: Math.min(
          maxDurationMinutes,
          ...policies.map((policy) => policy.defaultDurationMinutes),
        ),
        minJustificationLength: Math.max(...policies.map((policy) => policy.minJustificationLength)),
        ticketRequired: policies.some((policy) => policy.ticketRequired),
      };
    });
};
