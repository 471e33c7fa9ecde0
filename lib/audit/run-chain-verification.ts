import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { recordAuditEvent } from "./append-audit-event";
import { type TAnchoredVerification, verifyAgainstAnchors } from "./anchors/verify-against-anchors";

/**
 * The Security area's "Verify the chain" button: security reviewers and administrators run
 * the verifier (whole chain or a time range) against the newest signed anchors (ADR 0028);
 * the run and its result are audited, an intact result and a broken one alike.
 */
export const runChainVerification = async (options: {
  actor: TUserActor;
  from?: Date | null;
  to?: Date | null;
  context?: TAuditContext;
}): Promise<TAnchoredVerification> => {
  const { actor, context = {} } = options;
  await assertCan(actor, "audit.read", undefined, context);
  const result = await verifyAgainstAnchors({ from: options.from, to: options.to });
  await recordAuditEvent({
    actorType: "USER",
    actorId: actor.userId,
    action: "audit.verify",
    targetType: "audit_chain",
    outcome: "ALLOWED",
    reason: result.ok ? null : (result.break?.message ?? result.anchoring.error),
    details: {
      ok: result.ok,
      checked: result.checked,
      firstSeq: result.firstSeq,
      lastSeq: result.lastSeq,
      headHash: result.headHash,
      range: result.range,
      breakSeq: result.break?.seq ?? null,
      problem: result.break?.problem ?? null,
      breakCount: result.breakCount,
      anchorsUsed: result.anchoring.used,
      anchorsMatched: result.anchors.matched,
      latestAnchorSeq: result.anchoring.latest?.seq ?? null,
      anchorsRefused: result.anchoring.rejected.length,
      anchorsError: result.anchoring.error,
    },
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
    requestId: context.requestId ?? null,
  });
  return result;
};
