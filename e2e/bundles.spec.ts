/**
 * Bundles in the browser (ADR 0054): an engineer requests the demo bundle (seeded), an
 * approver of every item approves them all with ONE passkey confirmation, and the engineer
 * sees the bundle's progress as a whole.
 */
import { expect, test } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { registerPasskey } from "./support/passkeys";
import { personIn } from "./support/sign-in";

test.afterAll(disconnectDb);

test("an engineer requests a bundle, an approver approves every item with one passkey confirmation, and the engineer sees the progress", async ({
  browser,
}) => {
  const bea = await personIn(browser, "Bea Bundler", "/request");
  await bea.getByRole("link", { name: "Request the bundle Incident responder" }).click();
  await expect(bea.getByRole("list", { name: "Items of this bundle" })).toContainText("prod-postgres read");
  await expect(bea.getByRole("list", { name: "Items of this bundle" })).toContainText("k8s-prod view");
  await bea.getByLabel(/^Duration/).fill("30");
  await bea.getByLabel(/^Justification/).fill("INC-5120: checkout is failing, need the database and the cluster");
  await bea.getByRole("textbox", { name: /^Ticket/ }).fill("INC-5120");
  await bea.getByRole("button", { name: "Request all 2 items" }).click();
  await expect(bea).toHaveURL(/\/submissions\/[\w-]+$/);
  const submissionUrl = new URL(bea.url()).pathname;
  const submissionId = submissionUrl.split("/").at(-1) ?? "";
  await expect(bea.getByTestId("bundle-progress")).toHaveText("0 of 2 approved · 2 waiting");
  // The requester is never offered a decision on their own items.
  await expect(bea.getByRole("region", { name: "Your decision" })).toHaveCount(0);

  const boris = await personIn(browser, "Boris Bundleapprover", "/passkeys");
  await registerPasskey(boris, "Boris's laptop");
  await boris.goto(submissionUrl);
  const panel = boris.getByRole("region", { name: "Your decision" });
  await expect(panel.getByRole("checkbox")).toHaveCount(2);
  await panel.getByRole("button", { name: "Approve chosen" }).click();
  await expect(panel.getByRole("status")).toHaveText("Approved 2 items with one confirmation.");

  // One challenge, used once, for both approvals.
  const approvals = await db.approval.findMany({
    where: { request: { submissionId } },
    select: { challengeId: true, challenge: { select: { purpose: true, usedAt: true } } },
  });
  expect(approvals).toHaveLength(2);
  expect(new Set(approvals.map((approval) => approval.challengeId)).size).toBe(1);
  expect(approvals[0]?.challenge?.purpose).toBe("DECIDE_SET");

  await bea.reload();
  await expect(bea.getByTestId("bundle-progress")).toHaveText("2 of 2 approved");
  await expect(bea.getByRole("list", { name: "Items of this bundle request" })).toContainText("grant active");

  for (const page of [bea, boris]) await page.context().close();
});
