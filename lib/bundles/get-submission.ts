import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { currentTime } from "../clock";
import { db } from "../db";
import { grantStatus, type TGrantStatus } from "../access/grant-status";
import { withDelegations } from "../delegation/with-delegations";
import { itemVerdict } from "./item-decidability";
import { loadReadableSubmission } from "./load-submission";

export type TSubmissionItem = {
  requestId: string;
  resourceKey: string;
  resourceName: string;
  environment: string;
  permission: string;
  policyName: string;
  status: "PENDING" | "APPROVED" | "DENIED" | "CANCELLED" | "EXPIRED";
  approvals: number;
  required: number;
  grant: { id: string; status: TGrantStatus; expiresAt: Date } | null;
  /** For this viewer: may they decide it now, and if not, why. */
  canDecide: boolean;
  reason: string | null;
};

/**
 * A bundle's submission as a whole, for its requester (progress), its items' approvers (the
 * whole bundle, and which items they may decide) and security reviewers (ADR 0054).
 */
export const getSubmission = async (options: {
  actor: TUserActor;
  submissionId: string;
  context?: TAuditContext;
  now?: Date;
}) => {
  const now = options.now ?? currentTime();
  // With the approvals delegated to them (ADR 0056): a delegate sees and decides as the delegator.
  const actor = await withDelegations(db, options.actor, now);
  await loadReadableSubmission(db, { ...options, actor });
  const submission = await db.bundleSubmission.findUniqueOrThrow({
    where: { id: options.submissionId },
    include: {
      requests: {
        include: {
          requester: { select: { name: true, email: true } },
          resource: { select: { key: true, name: true, environment: true } },
          policy: { select: { name: true, approvalsRequired: true } },
          approvals: { select: { decision: true } },
          grant: { select: { id: true, startsAt: true, expiresAt: true, revokedAt: true } },
        },
      },
    },
  });
  const requests = [...submission.requests].sort((a, b) =>
    `${a.resource.key} ${a.permissions.join(",")}` < `${b.resource.key} ${b.permissions.join(",")}` ? -1 : 1,
  );
  const items: TSubmissionItem[] = [];
  for (const request of requests) {
    const verdict = request.status === "PENDING" ? await itemVerdict(db, { actor, requestId: request.id, now }) : null;
    items.push({
      requestId: request.id,
      resourceKey: request.resource.key,
      resourceName: request.resource.name,
      environment: request.resource.environment,
      permission: request.permissions.join(", "),
      policyName: request.policy.name,
      status: request.status,
      approvals: request.approvals.filter((approval) => approval.decision === "APPROVE").length,
      required: request.policy.approvalsRequired + request.extraApprovals,
      grant: request.grant
        ? { id: request.grant.id, status: grantStatus(request.grant, now), expiresAt: request.grant.expiresAt }
        : null,
      canDecide: verdict?.decidable ?? false,
      reason: verdict && !verdict.decidable ? verdict.reason : null,
    });
  }
  const first = requests[0];
  const count = (status: TSubmissionItem["status"]) => items.filter((item) => item.status === status).length;
  return {
    id: submission.id,
    bundleName: submission.bundleName,
    justification: submission.justification,
    createdAt: submission.createdAt,
    requester: { name: first?.requester.name ?? "", email: first?.requester.email ?? null },
    isRequester: submission.requesterId === actor.userId,
    durationMinutes: first?.durationMinutes ?? 0,
    ticket: first?.ticket ?? null,
    items,
    progress: {
      total: items.length,
      approved: count("APPROVED"),
      pending: count("PENDING"),
      denied: count("DENIED"),
      ended: count("CANCELLED") + count("EXPIRED"),
    },
  };
};
export type TSubmissionDetail = Awaited<ReturnType<typeof getSubmission>>;
