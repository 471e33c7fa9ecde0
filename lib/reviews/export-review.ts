import { recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { csvCell } from "../history/export-format";
import { getReview, type TReviewItemView } from "./read-reviews";

const COLUMNS: Array<[string, (item: TReviewItemView) => string | number | string[] | null]> = [
  ["resource", (item) => item.resourceKey],
  ["policy", (item) => item.policyName],
  ["person", (item) => item.subject.name],
  ["email", (item) => item.subject.email],
  ["eligible_through_groups", (item) => item.groups],
  ["groups_from", (item) => item.groupsSource],
  ["grants_in_period", (item) => item.grantsInPeriod],
  ["last_used_at", (item) => item.lastUsedAt?.toISOString() ?? null],
  [
    "verdict",
    (item) => (item.verdict === "CERTIFY" ? "certified" : item.verdict === "REMOVE" ? "remove" : "not reviewed"),
  ],
  ["reason", (item) => item.reason],
  ["decided_by", (item) => item.decidedBy],
  ["decided_at", (item) => item.decidedAt?.toISOString() ?? null],
  // For a removal: the groups the directory's owners still have to take the person out of.
  ["still_in_groups", (item) => item.stillIn],
];

const line = (cells: Array<string | number | string[] | null>) => `${cells.map(csvCell).join(",")}\r\n`;

/**
 * A review as CSV, one row per person and policy (ADR 0058): the record an auditor keeps, and
 * the directory owners' work list (rows with verdict "remove"). Audited as `review.export`.
 */
export const exportReviewCsv = async (options: {
  actor: TUserActor;
  reviewId: string;
  context?: TAuditContext;
  now: Date;
}): Promise<{ name: string; csv: string }> => {
  const review = await getReview(options);
  const { context = {} } = options;
  await recordAuditEvent({
    actorType: "USER",
    actorId: options.actor.userId,
    action: "review.export",
    targetType: "review",
    targetId: review.id,
    outcome: "ALLOWED",
    details: { rows: review.items.length },
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
    requestId: context.requestId ?? null,
  });
  const csv =
    line(COLUMNS.map(([name]) => name)) +
    review.items.map((item) => line(COLUMNS.map(([, get]) => get(item)))).join("");
  return { name: review.name, csv };
};
