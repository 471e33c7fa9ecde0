import { decisionAuthorities, type TDecisionAuthority, type TUserActor } from "../authz";
import { requestTargetOf, type TDecidableRow } from "./load-request-target";

type TDecisionRow = { approverId: string; onBehalfOfId: string | null };

export type TUsableAuthority =
  | { authority: TDecisionAuthority; refusal: null }
  | { authority: null; refusal: "none" | "decided" | "decided-for-you" | "delegator-decided" };

/**
 * The authority this person would decide this request with now (ADR 0056): their own, else
 * the first running delegation whose delegator has not decided. A decision made for someone
 * counts as theirs, so neither they nor another of their delegates decides the request again,
 * and nobody decides twice, in one stage or across stages. authz (`request.decide`) says
 * whether any authority exists; this picks the one not yet used.
 */
export const usableAuthority = (
  actor: TUserActor,
  request: TDecidableRow & { approvals: TDecisionRow[] },
): TUsableAuthority => {
  if (request.approvals.some((approval) => approval.approverId === actor.userId))
    return { authority: null, refusal: "decided" };
  const decided = new Set(request.approvals.flatMap((approval) => [approval.approverId, approval.onBehalfOfId ?? ""]));
  if (decided.has(actor.userId)) return { authority: null, refusal: "decided-for-you" };
  const authorities = decisionAuthorities(actor, requestTargetOf(request));
  const authority = authorities.find(
    (candidate) => candidate.kind === "own" || !decided.has(candidate.delegation.delegatorId),
  );
  if (authority) return { authority, refusal: null };
  return { authority: null, refusal: authorities.length > 0 ? "delegator-decided" : "none" };
};
