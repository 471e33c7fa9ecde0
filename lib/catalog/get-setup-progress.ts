import { can, type TUserActor } from "../authz";
import { db } from "../db";

export type TSetupStep = "catalog" | "passkey" | "approvers" | "provisioning";
export type TSetupProgress = Record<TSetupStep, boolean>;

/**
 * What a new portal still lacks, for the administrator's first-run checklist: a resource with
 * a policy, the administrator's own passkey (revocations need it), approvers who can confirm
 * decisions (their passkeys), and somewhere for grants to become real access (a webhook or
 * connector on a resource). Null for anyone who cannot manage the catalog.
 */
export const getSetupProgress = async (options: { actor: TUserActor }): Promise<TSetupProgress | null> => {
  if (!can(options.actor, "catalog.manage")) return null;
  const policies = await db.accessPolicy.findMany({
    where: { resource: { archivedAt: null } },
    select: { approverGroups: true },
  });
  const approverGroups = [...new Set(policies.flatMap((policy) => policy.approverGroups))];
  const [ownPasskeys, approversWithPasskeys, endpoints] = await Promise.all([
    db.passkey.count({ where: { userId: options.actor.userId } }),
    approverGroups.length === 0
      ? 0
      : db.user.count({
          where: { deactivatedAt: null, groups: { hasSome: approverGroups }, passkeys: { some: {} } },
        }),
    db.webhookEndpoint.count({ where: { disabledAt: null, resource: { archivedAt: null } } }),
  ]);
  return {
    catalog: policies.length > 0,
    passkey: ownPasskeys > 0,
    approvers: approversWithPasskeys > 0,
    provisioning: endpoints > 0,
  };
};
