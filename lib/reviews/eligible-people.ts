import type { Db } from "../db";

export type TEligibility = {
  policyId: string;
  resourceKey: string;
  policyName: string;
  subjectId: string;
  groups: string[];
  groupsSource: "directory" | "sign-in";
  grantsInPeriod: number;
  lastUsedAt: Date | null;
};

/**
 * Who may request under these policies now, and how much they used it since `usageSince`
 * (ADR 0058): every active person whose groups (the directory's when SCIM manages them, the
 * ID token's of their last sign-in otherwise) meet a policy's requester groups, with the grants
 * of that policy that started in the period. The same rule as requesting (lib/access/eligibility.ts).
 */
export const eligiblePeople = async (
  tx: Db,
  options: { policyIds: string[]; usageSince: Date; now: Date },
): Promise<TEligibility[]> => {
  const policies = await tx.accessPolicy.findMany({
    where: { id: { in: options.policyIds } },
    select: { id: true, name: true, requesterGroups: true, resource: { select: { key: true } } },
    orderBy: [{ resource: { key: "asc" } }, { name: "asc" }],
  });
  const groups = [...new Set(policies.flatMap((policy) => policy.requesterGroups))];
  if (groups.length === 0) return [];
  const people = await tx.user.findMany({
    where: { deactivatedAt: null, groups: { hasSome: groups } },
    select: { id: true, groups: true, directoryId: true },
    orderBy: { id: "asc" },
  });
  const usage = await tx.$queryRaw<Array<{ policyId: string; subjectId: string; count: number; last: Date }>>`
    select r."policyId", g."subjectId", count(*)::int as count, max(g."startsAt") as last
    from "Grant" g join "AccessRequest" r on r.id = g."requestId"
    where r."policyId" = any(${options.policyIds})
      and g."startsAt" >= ${options.usageSince} and g."startsAt" <= ${options.now}
    group by r."policyId", g."subjectId"`;
  const used = new Map(usage.map((row) => [`${row.policyId} ${row.subjectId}`, row]));
  return policies.flatMap((policy) =>
    people.flatMap((person) => {
      const through = person.groups.filter((group) => policy.requesterGroups.includes(group));
      if (through.length === 0) return [];
      const usageRow = used.get(`${policy.id} ${person.id}`);
      return [
        {
          policyId: policy.id,
          resourceKey: policy.resource.key,
          policyName: policy.name,
          subjectId: person.id,
          groups: through,
          groupsSource: person.directoryId ? ("directory" as const) : ("sign-in" as const),
          grantsInPeriod: usageRow?.count ?? 0,
          lastUsedAt: usageRow?.last ?? null,
        },
      ];
    }),
  );
};
