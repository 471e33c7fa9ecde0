import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chainGroups, decidableGroups, escalationDue, parseStages, requestChain } from "./stages";

const policy = { approverGroups: ["leads", "security"], approvalsRequired: 1 };
const stages = [
  { name: "Team lead", approverGroups: ["leads"], approvalsRequired: 1 },
  { name: "Security", approverGroups: ["security"], approvalsRequired: 2 },
];
const request = {
  stages,
  extraApprovals: 0,
  policy,
  currentStage: 0,
  escalatedAt: null as Date | null,
  escalationGroups: ["on-call"],
};

describe("approval stages", () => {
  it("reads a policy without stages as one stage of its approver groups and quorum", () => {
    assert.deepEqual(requestChain({ ...request, stages: [] }), [
      { name: "Approval", approverGroups: ["leads", "security"], approvalsRequired: 1 },
    ]);
  });

  it("adds the risk rules' extra approvals to the last stage only", () => {
    assert.deepEqual(
      requestChain({ ...request, extraApprovals: 2 }).map((stage) => stage.approvalsRequired),
      [1, 4],
    );
  });

  it("lets only the open stage's groups decide, and the escalation groups only once escalated", () => {
    assert.deepEqual(decidableGroups(request), ["leads"]);
    assert.deepEqual(decidableGroups({ ...request, currentStage: 1 }), ["security"]);
    assert.deepEqual(decidableGroups({ ...request, escalatedAt: new Date() }), ["leads", "on-call"]);
    assert.deepEqual(chainGroups(request), ["leads", "security", "on-call"]);
  });

  it("refuses stages with repeated names, no groups or no approvals, treating bad stored ones as none", () => {
    assert.deepEqual(parseStages([stages[0], stages[0]]), []);
    assert.deepEqual(parseStages([{ name: "x", approverGroups: [], approvalsRequired: 1 }]), []);
    assert.deepEqual(parseStages([{ name: "x", approverGroups: ["a"], approvalsRequired: 0 }]), []);
    assert.deepEqual(parseStages("not stages"), []);
  });

  it("escalates only with both groups and a delay", () => {
    const opened = new Date("2026-12-05T10:00:00Z");
    assert.deepEqual(
      escalationDue({ escalationGroups: ["on-call"], escalationAfterMinutes: 30 }, opened),
      new Date("2026-12-05T10:30:00Z"),
    );
    assert.equal(escalationDue({ escalationGroups: [], escalationAfterMinutes: 30 }, opened), null);
    assert.equal(escalationDue({ escalationGroups: ["on-call"], escalationAfterMinutes: null }, opened), null);
  });
});
