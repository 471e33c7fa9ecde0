import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { recordAuditEvent } from "./append-audit-event";
import { verifyAuditChain, type TChainVerification } from "./verify-chain";

/**
 * The Security area's "Verify the chain" button: security reviewers and administrators run
 * the verifier (whole chain or a time range); the run and its result are audited, an
 * intact result and a broken one alike.
 */
export const runChainVerification = async (options: {
  actor: TUserActor;
  from?: Date | null;
  to?: Date | null;
  context?: TAuditContext;
}): Promise<TChainVerification> => {
  const { actor, context = {} } = options;
  await assertCan(actor, "audit.read", undefined, context);
  const result = await verifyAuditChain({ from: options.from, to: options.to });
  await recordAuditEvent({
    actorType: "USER",
    actorId: actor.userId,
    action: "audit.verify",
    targetType: "audit_chain",
    outcome: "ALLOWED",
    reason: result.ok ? null : result.break?.message,
    details: {
      ok: result.ok,
      checked: result.checked,
      firstSeq: result.firstSeq,
      lastSeq: result.lastSeq,
      headHash: result.headHash,
      range: result.range,
      breakSeq: result.break?.seq ?? null,
      problem: result.break?.problem ?? null,
    },
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
    requestId: context.requestId ?? null,
  });
  return result;
};
