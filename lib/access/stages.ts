import { z } from "zod";

/**
 * Approval stages (ADR 0055). A policy may name ordered stages; each has its approver groups
 * and the number of distinct approvals it needs, and opens only when the one before it is
 * complete. A policy without stages has one stage: its approverGroups and approvalsRequired.
 */

const group = z.string().trim().min(1).max(200);

export const ZStage = z.strictObject({
  name: z.string().trim().min(1).max(100),
  approverGroups: z.array(group).min(1).max(50),
  approvalsRequired: z.number().int().min(1).max(10),
});
export type TStage = z.output<typeof ZStage>;

export const ZStages = z
  .array(ZStage)
  .max(5)
  .refine((stages) => new Set(stages.map((stage) => stage.name)).size === stages.length, {
    message: "Stage names must be distinct.",
  });

/** Stages as stored (a JSON column); anything that does not parse is treated as no stages. */
export const parseStages = (value: unknown): TStage[] => {
  const parsed = ZStages.safeParse(value);
  return parsed.success ? parsed.data : [];
};

type TChainSource = {
  stages: unknown;
  extraApprovals: number;
  policy: { approverGroups: string[]; approvalsRequired: number };
};

/**
 * The request's chain of stages with what each needs. The risk rules' extra approvals are
 * added to the LAST stage: the step that creates the grant is the one that gets stricter.
 */
export const requestChain = (request: TChainSource): TStage[] => {
  const snapshot = parseStages(request.stages);
  const chain =
    snapshot.length > 0
      ? snapshot
      : [
          {
            name: "Approval",
            approverGroups: request.policy.approverGroups,
            approvalsRequired: request.policy.approvalsRequired,
          },
        ];
  const last = chain.length - 1;
  return chain.map((stage, index) =>
    index === last ? { ...stage, approvalsRequired: stage.approvalsRequired + request.extraApprovals } : stage,
  );
};

type TDecidableSource = TChainSource & {
  currentStage: number;
  escalatedAt: Date | null;
  escalationGroups: string[];
};

/**
 * THE rule for who may decide a request now: the current stage's approver groups, plus the
 * escalation groups once the stage escalated. authz (request.decide), the inbox, bundle and
 * chat decisions all read it from here (through loadRequestTarget and decidableRequestWhere).
 */
export const decidableGroups = (request: TDecidableSource): string[] => {
  const chain = requestChain(request);
  const stage = chain[Math.min(request.currentStage, chain.length - 1)];
  const groups = new Set(stage?.approverGroups ?? []);
  if (request.escalatedAt) request.escalationGroups.forEach((name) => groups.add(name));
  return [...groups];
};

/** Every group that takes part in the request's chain (they may read it; deciding is decidableGroups). */
export const chainGroups = (request: TDecidableSource): string[] => [
  ...new Set([...requestChain(request).flatMap((stage) => stage.approverGroups), ...request.escalationGroups]),
];

/** When a stage opened at `openedAt` escalates, or null when the request has no escalation. */
export const escalationDue = (
  request: { escalationGroups: string[]; escalationAfterMinutes: number | null },
  openedAt: Date,
): Date | null =>
  request.escalationAfterMinutes && request.escalationGroups.length > 0
    ? new Date(openedAt.getTime() + request.escalationAfterMinutes * 60_000)
    : null;

/** The columns loaders select to evaluate decidableGroups. */
export const DECIDABLE_SELECT = {
  id: true,
  requesterId: true,
  filedById: true,
  stages: true,
  extraApprovals: true,
  currentStage: true,
  escalatedAt: true,
  escalationGroups: true,
  policy: { select: { approverGroups: true, approvalsRequired: true } },
} as const;

type TPolicyChain = {
  stages: unknown;
  approverGroups: string[];
  escalationGroups: string[];
  escalationAfterMinutes: number | null;
};

/**
 * What a new request copies from its policy (ADR 0055): the stages, the escalation groups and
 * delay, and when its first stage escalates. A later edit of the policy leaves it alone.
 */
export const stageColumns = (policy: TPolicyChain, now: Date, pending: boolean) => ({
  stages: parseStages(policy.stages),
  currentStage: 0,
  stageOpenedAt: now,
  escalationGroups: policy.escalationGroups,
  escalationAfterMinutes: policy.escalationAfterMinutes,
  // An auto-approved request has nothing to escalate.
  escalateAt: pending ? escalationDue(policy, now) : null,
});

/** The groups told of a new request: its first stage's (all approver groups without stages). */
export const firstStageGroups = (policy: TPolicyChain): string[] =>
  parseStages(policy.stages)[0]?.approverGroups ?? policy.approverGroups;
