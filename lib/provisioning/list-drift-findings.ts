import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";

type TListDriftFindingsOptions = { actor: TUserActor; context?: TAuditContext };

/** The Security area: open drift findings (access in a target no live grant explains), oldest first. */
export const listDriftFindings = async ({ actor, context }: TListDriftFindingsOptions) => {
  await assertCan(actor, "security.view", undefined, context);
  const rows = await db.driftFinding.findMany({
    where: { resolvedAt: null },
    orderBy: { firstSeenAt: "asc" },
    take: 500,
    select: {
      id: true,
      principal: true,
      target: true,
      description: true,
      firstSeenAt: true,
      lastSeenAt: true,
      connector: { select: { kind: true, name: true, resource: { select: { key: true, name: true } } } },
    },
  });
  return rows;
};
export type TDriftFinding = Awaited<ReturnType<typeof listDriftFindings>>[number];
