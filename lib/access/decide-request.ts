import { assertNoSignalHold } from "./assert-no-signal-hold";
import { z } from "zod";
import { storableText } from "../storable-text";
import { recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db, type Db } from "../db";
import { AppError, isAppError } from "../errors";
import { admitStepUp, startStepUp, verifyStepUp, ZAuthenticationResponse } from "../webauthn";
import { assertCanOnRequest, loadRequestTarget } from "./load-request-target";
import { assertDecidable, recordDecision, type TDecisionResult } from "./record-decision";
import { ZDecision, type TDecision } from "./schemas";
import { announceAfter } from "../services/feed";
import { currentTime } from "../clock";
import { withDelegations } from "../delegation/with-delegations";

const TARGET_TYPE = "request";

/**
 * The approver as they are inside the decision's transaction: their groups read `for share`
 * and the delegations running now (locked too, ADR 0056). A group change or the end of a
 * delegation committed before it is seen; one after it waits for the decision.
 */
const currentApprover = async (tx: Db, options: { actor: TUserActor; now: Date }): Promise<TUserActor> => {
  const [row] = await tx.$queryRaw<Array<{ groups: string[] }>>`
    select groups from "User" where id = ${options.actor.userId} for share`;
  return withDelegations(tx, { ...options.actor, groups: row?.groups ?? [] }, options.now, { lock: true });
};

const assertStillApprover = async (
  tx: Db,
  options: { actor: TUserActor; requestId: string; context?: TAuditContext },
): Promise<void> => {
  const target = await loadRequestTarget(tx, options.requestId);
  await assertCanOnRequest(options.actor, "request.decide", target, options.context);
};

/**
 * Step one of a decision: a WebAuthn challenge bound to this approver, this request and this
 * decision, valid for five minutes and usable once.
 */
export const startDecision = async (options: {
  actor: TUserActor;
  requestId: string;
  decision: TDecision;
  context?: TAuditContext;
  now?: Date;
}) => {
  const { requestId, context } = options;
  const decision = ZDecision.parse(options.decision);
  const now = options.now ?? currentTime();
  const actor = await withDelegations(db, options.actor, now);
  const target = await loadRequestTarget(db, requestId);
  await assertCanOnRequest(actor, "request.decide", target, context);
  await assertDecidable(db, { actor, requestId, now });
  return startStepUp({ actor, purpose: decision, targetType: TARGET_TYPE, targetId: requestId, context });
};

export const ZDecideRequest = z
  .object({
    requestId: z.string().min(1).max(64),
    decision: ZDecision,
    comment: z.string().max(2000).transform(storableText).optional(),
    assertion: ZAuthenticationResponse,
  })
  .strict();
export type TDecideRequest = z.input<typeof ZDecideRequest>;

export type { TDecisionResult } from "./record-decision";

/**
 * Step two: record the decision. The request row is locked, the step-up assertion is
 * verified and its challenge consumed, the approval, the outcome and the grant are written,
 * all in one transaction, so two approvers deciding at once yield one outcome and at most
 * one grant, and an assertion counts once.
 */
export const decideRequest = async (options: {
  actor: TUserActor;
  input: TDecideRequest;
  context?: TAuditContext;
  now?: Date;
}): Promise<TDecisionResult> => {
  const { context = {} } = options;
  const actor = await withDelegations(db, options.actor, options.now ?? currentTime());
  const parsed = ZDecideRequest.safeParse(options.input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Invalid decision.");
  const { requestId, decision, assertion } = parsed.data;
  const comment = parsed.data.comment?.trim() || null;
  if (decision === "DENY" && (!comment || comment.length < 3)) {
    throw new AppError("INVALID_INPUT", "Say why you deny this request.", { comment: "A denial needs a comment." });
  }
  const audit = { ip: context.ip ?? null, userAgent: context.userAgent ?? null, requestId: context.requestId ?? null };
  const target = await loadRequestTarget(db, requestId);
  await assertCanOnRequest(actor, "request.decide", target, context);
  await assertNoSignalHold({ actor, action: "request.decide", audit });
  const admission = await admitStepUp({ actor, context });

  try {
    return await db
      .$transaction(async (tx) => {
        const now = options.now ?? currentTime();
        // The requester's row before the request's, in the order a deactivation takes them
        // (lib/access/end-access-of-user.ts): the two wait for each other, never deadlock.
        await tx.$queryRaw`
          select u.id from "User" u join "AccessRequest" r on r."requesterId" = u.id
           where r.id = ${requestId} for share of u`;
        // Decisions on one request happen one after another.
        await tx.$queryRaw`select id from "AccessRequest" where id = ${requestId} for update`;
        // The approver's groups as they are now, not as the session read them: a directory
        // (SCIM) may have removed them from the approver group since the page was opened.
        const current = await currentApprover(tx, { actor, now });
        const request = await assertDecidable(tx, { actor: current, requestId, now });
        await assertStillApprover(tx, { actor: current, requestId, context });
        const { passkeyId, challengeId } = await verifyStepUp({
          tx,
          admission,
          actor,
          purpose: decision,
          targetType: TARGET_TYPE,
          targetId: requestId,
          response: assertion,
          context,
        });

        return recordDecision(tx, { actor: current, request, decision, comment, passkeyId, challengeId, now, audit });
      })
      .then(announceAfter);
  } catch (error) {
    // A refused step-up is a denied authorization decision: recorded outside the rolled-back
    // transaction so it survives.
    if (isAppError(error) && error.code === "FORBIDDEN") {
      await recordAuditEvent({
        actorType: "USER",
        actorId: actor.userId,
        action: "request.decide",
        targetType: "request",
        targetId: requestId,
        outcome: "DENIED",
        reason: error.message,
        details: { decision },
        ...audit,
      });
    }
    throw error;
  }
};
