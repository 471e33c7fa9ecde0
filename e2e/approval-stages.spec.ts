/**
 * Approval stages in the browser (ADR 0055): under a two-stage policy, the second stage's
 * approver can neither see nor decide the request while the first stage is open; the first
 * stage's approver approves with a passkey, then the second stage's, and the grant follows.
 */
import { expect, test } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { registerPasskey } from "./support/passkeys";
import { personIn } from "./support/sign-in";

test.afterAll(disconnectDb);

test.beforeAll(async () => {
  const resource = await db.resource.upsert({
    where: { key: "staged-vault" },
    update: {},
    create: { key: "staged-vault", name: "Staged Vault", environment: "production", permissions: ["read"] },
  });
  const policy = {
    permissions: ["read"],
    requesterGroups: ["stage-requesters"],
    approverGroups: ["stage-leads", "stage-security"],
    approvalsRequired: 1,
    defaultDurationMinutes: 30,
    maxDurationMinutes: 60,
    minJustificationLength: 10,
    autoApproveGroups: [],
    autoApprovePermissions: [],
    stages: [
      { name: "Team lead", approverGroups: ["stage-leads"], approvalsRequired: 1 },
      { name: "Security", approverGroups: ["stage-security"], approvalsRequired: 1 },
    ],
  };
  await db.accessPolicy.upsert({
    where: { resourceId_name: { resourceId: resource.id, name: "two-stage" } },
    update: policy,
    create: { ...policy, resourceId: resource.id, name: "two-stage" },
  });
});

test("a two-stage request is approved by two people in order, each with a passkey", async ({ browser }) => {
  const stella = await personIn(browser, "Stella Staged", "/request");
  await stella.getByRole("link", { name: "Request access to Staged Vault" }).click();
  await stella.getByLabel("Duration (minutes)").fill("30");
  await stella.getByLabel("Justification").fill("Read the vault audit keys for the quarterly review");
  await stella.getByRole("button", { name: "Submit request" }).click();
  await expect(stella).toHaveURL(/\/requests\/[\w-]+$/);
  const requestUrl = new URL(stella.url()).pathname;
  const stages = stella.getByRole("list", { name: "Approval stages" });
  await expect(stages.getByTestId("stage-1")).toHaveAttribute("data-state", "open");
  await expect(stages.getByTestId("stage-2")).toHaveAttribute("data-state", "waiting");

  // Stage two's approver, while stage one is open: not in the inbox, no decision on the page.
  const sam = await personIn(browser, "Sam Stagetwo", "/passkeys");
  await registerPasskey(sam, "Sam's laptop");
  await sam.goto("/approvals");
  await expect(sam.getByRole("link", { name: /Stella Staged: read on Staged Vault/ })).toHaveCount(0);
  await sam.goto(requestUrl);
  await expect(sam.getByRole("list", { name: "Approval stages" })).toBeVisible();
  await expect(sam.getByRole("region", { name: "Your decision" })).toHaveCount(0);

  const leo = await personIn(browser, "Leo Stageone", "/passkeys");
  await registerPasskey(leo, "Leo's phone");
  await leo.goto("/approvals");
  await leo.getByRole("link", { name: /Stella Staged: read on Staged Vault/ }).click();
  await leo.getByRole("button", { name: "Approve" }).click();
  await expect(leo.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(
    "Your approval is recorded: this stage is complete, and the next stage decides now.",
  );

  // Now stage two decides; stage one's approver is done.
  await sam.goto("/approvals");
  await sam.getByRole("link", { name: /Stella Staged: read on Staged Vault/ }).click();
  await sam.getByRole("button", { name: "Approve" }).click();
  await expect(sam.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(
    "Approved. The grant is created.",
  );

  await stella.reload();
  await expect(stages.getByTestId("stage-1")).toHaveAttribute("data-state", "complete");
  await expect(stages.getByTestId("stage-2")).toHaveAttribute("data-state", "complete");
  const timeline = stella.getByRole("list", { name: "Timeline" });
  await expect(timeline).toContainText("Approved by Leo Stageone with passkey “Leo's phone”");
  await expect(timeline).toContainText("Stage 1 of 2 (Team lead) complete");
  await expect(timeline).toContainText("Approved by Sam Stagetwo with passkey “Sam's laptop”");
  const requestId = requestUrl.split("/").at(-1) ?? "";
  const approvals = await db.approval.findMany({ where: { requestId }, orderBy: { createdAt: "asc" } });
  expect(approvals.map((approval) => approval.stage)).toEqual([0, 1]);

  for (const page of [stella, sam, leo]) await page.context().close();
});
