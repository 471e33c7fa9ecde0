import { requestChain } from "./stages";

export type TStageState = "complete" | "open" | "waiting" | "denied";

export type TStageView = {
  index: number;
  name: string;
  approverGroups: string[];
  approvalsRequired: number;
  state: TStageState;
  approvers: string[];
  completedAt: Date | null;
  /** The stage open now escalated: its escalation groups may decide too. */
  escalatedAt: Date | null;
};

type TStageViewSource = Parameters<typeof requestChain>[0] & {
  status: string;
  currentStage: number;
  escalatedAt: Date | null;
  approvals: Array<{ stage: number; decision: string; createdAt: Date; approver: { name: string } }>;
};

/** Each stage of a request's chain with its state and who decided in it (ADR 0055). */
export const stageViews = (request: TStageViewSource): TStageView[] =>
  requestChain(request).map((stage, index) => {
    const decided = request.approvals.filter((approval) => approval.stage === index);
    const denied = decided.some((approval) => approval.decision === "DENY");
    const approved = decided.filter((approval) => approval.decision === "APPROVE");
    const complete =
      index < request.currentStage || (request.status === "APPROVED" && approved.length >= stage.approvalsRequired);
    const state: TStageState = denied
      ? "denied"
      : complete
        ? "complete"
        : index === request.currentStage
          ? "open"
          : "waiting";
    return {
      index,
      name: stage.name,
      approverGroups: stage.approverGroups,
      approvalsRequired: stage.approvalsRequired,
      state,
      approvers: decided.map((approval) => approval.approver.name),
      completedAt: complete ? (approved.at(-1)?.createdAt ?? null) : null,
      escalatedAt: index === request.currentStage ? request.escalatedAt : null,
    };
  });
