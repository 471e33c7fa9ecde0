import { can, type TUserActor } from "../authz";
import type { Db } from "../db";
import { isAppError } from "../errors";
import { assertDecidable } from "../access/record-decision";
import { loadRequestTarget } from "../access/load-request-target";

export type TItemVerdict =
  { decidable: true; request: Awaited<ReturnType<typeof assertDecidable>> } | { decidable: false; reason: string };

/**
 * Whether this person may decide this request now, and if not, why: the same rules as a
 * single decision (request.decide: never one's own, only in the policy's approver groups;
 * pending, in time, not yet decided by them).
 */
export const itemVerdict = async (
  tx: Db,
  options: { actor: TUserActor; requestId: string; now: Date },
): Promise<TItemVerdict> => {
  const target = await loadRequestTarget(tx, options.requestId);
  if (target.requesterId === options.actor.userId)
    return { decidable: false, reason: "Your own request: another approver must decide it." };
  if (!can(options.actor, "request.decide", target))
    return { decidable: false, reason: "You are not an approver of this item's policy." };
  try {
    return { decidable: true, request: await assertDecidable(tx, options) };
  } catch (error) {
    if (isAppError(error)) return { decidable: false, reason: error.message };
    throw error;
  }
};
