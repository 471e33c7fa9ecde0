import type { TUserActor } from "../authz";
import { db, type Db, Prisma } from "../db";
import { currentTime } from "../clock";
import { withDelegations } from "../delegation/with-delegations";
import { usableAuthority } from "./authority";

/**
 * Where-builders: what a person may request or approve follows from policies that name
 * IdP groups. Used by pages and domain functions alike, so the rule lives in one place.
 */
export const requestablePolicyWhere = (actor: TUserActor) => ({
  requesterGroups: { hasSome: actor.groups },
  resource: { archivedAt: null },
});

/**
 * Whether these groups make a person an approver (the `approver` role): named by at least one
 * policy as approvers or, since a stage may escalate to them, as its escalation group. With
 * stages, approverGroups is the union of the stages' groups (ADR 0055).
 */
export const holdsApproverRole = async (tx: Db, groups: string[]): Promise<boolean> =>
  groups.length > 0 &&
  (await tx.accessPolicy.count({
    where: { OR: [{ approverGroups: { hasSome: groups } }, { escalationGroups: { hasSome: groups } }] },
    take: 1,
  })) > 0;

/** The same rule as SQL, for a statement that has the person's groups at hand (`groups`). */
export const holdsApproverRoleSql = (groups: Prisma.Sql): Prisma.Sql =>
  Prisma.sql`exists (select 1 from "AccessPolicy" where "approverGroups" && ${groups} or "escalationGroups" && ${groups})`;

export type TRequestableResource = {
  resourceKey: string;
  resourceName: string;
  description: string;
  environment: string;
  policies: Array<{
    id: string;
    name: string;
    permissions: string[];
    approvalsRequired: number;
    maxDurationMinutes: number;
    defaultDurationMinutes: number;
    minJustificationLength: number;
    ticketRequired: boolean;
    ticketPattern: string | null;
    autoApproved: boolean;
    /** The longest break-glass this policy allows; null: no break-glass. */
    breakGlassMaxMinutes: number | null;
    /** Requests for a teammate allowed (ADR 0057). */
    onBehalfOfAllowed: boolean;
  }>;
};

/** The resources and permissions this person is eligible to request. */
export const listRequestable = async (options: {
  actor: TUserActor;
  resourceKey?: string;
}): Promise<TRequestableResource[]> => {
  if (options.actor.groups.length === 0) return [];
  const { actor } = options;
  const policies = await db.accessPolicy.findMany({
    where: {
      ...requestablePolicyWhere(actor),
      ...(options.resourceKey ? { resource: { key: options.resourceKey, archivedAt: null } } : {}),
    },
    orderBy: [{ resource: { name: "asc" } }, { name: "asc" }],
    include: {
      resource: { select: { key: true, name: true, description: true, environment: true, permissions: true } },
    },
  });
  const byResource = new Map<string, TRequestableResource>();
  for (const policy of policies) {
    const entry = byResource.get(policy.resource.key) ?? {
      resourceKey: policy.resource.key,
      resourceName: policy.resource.name,
      description: policy.resource.description,
      environment: policy.resource.environment,
      policies: [],
    };
    entry.policies.push({
      id: policy.id,
      name: policy.name,
      // A policy can only offer what the resource offers.
      permissions: policy.permissions.filter((permission) => policy.resource.permissions.includes(permission)),
      approvalsRequired: policy.approvalsRequired,
      maxDurationMinutes: policy.maxDurationMinutes,
      defaultDurationMinutes: policy.defaultDurationMinutes,
      minJustificationLength: policy.minJustificationLength,
      ticketRequired: policy.ticketRequired,
      ticketPattern: policy.ticketPattern,
      autoApproved:
        actor.groups.some((group) => policy.autoApproveGroups.includes(group)) &&
        policy.permissions.some((permission) => policy.autoApprovePermissions.includes(permission)),
      breakGlassMaxMinutes: policy.breakGlassAllowed ? policy.breakGlassMaxMinutes : null,
      onBehalfOfAllowed: policy.onBehalfOfAllowed,
    });
    byResource.set(policy.resource.key, entry);
  }
  return [...byResource.values()];
};

/**
 * Pending requests this person may decide now: the open stage's groups (and the escalation
 * groups once it escalated), never their own, never one they decided (ADR 0055), and those a
 * running delegation lets them decide as its delegator (ADR 0056), marked with whom they decide
 * for. Candidates are narrowed in SQL; authz's rule and usableAuthority have the last word.
 */
export const listApprovalInbox = async (options: { actor: TUserActor; now?: Date }) => {
  const now = options.now ?? currentTime();
  const actor = await withDelegations(db, options.actor, now);
  const groups = [
    ...new Set([...actor.groups, ...(actor.delegations ?? []).flatMap((delegation) => delegation.groups)]),
  ];
  if (groups.length === 0) return [];
  const candidates = await db.accessRequest.findMany({
    where: {
      status: "PENDING",
      decideBy: { gt: now },
      requesterId: { not: actor.userId },
      OR: [{ policy: { approverGroups: { hasSome: groups } } }, { escalationGroups: { hasSome: groups } }],
      approvals: { none: { OR: [{ approverId: actor.userId }, { onBehalfOfId: actor.userId }] } },
    },
    orderBy: { createdAt: "asc" },
    take: 500,
    include: {
      requester: { select: { name: true, email: true } },
      filedBy: { select: { name: true } },
      resource: { select: { name: true, environment: true } },
      policy: { select: { approvalsRequired: true, approverGroups: true } },
      approvals: {
        select: { decision: true, approverId: true, onBehalfOfId: true, approver: { select: { name: true } } },
      },
    },
  });
  return candidates
    .flatMap((request) => {
      const { authority } = usableAuthority(actor, request);
      if (!authority) return [];
      return [{ ...request, decidingFor: authority.kind === "delegated" ? authority.delegation.delegatorName : null }];
    })
    .slice(0, 100);
};
