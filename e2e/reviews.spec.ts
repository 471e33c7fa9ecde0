/**
 * An access review in the browser (ADR 0058): the vault's approver starts a review of who may
 * request it; the reviewer certifies one person and marks another for removal, with one
 * passkey confirmation; the owner sees the finding, closes the review and exports it.
 */
import { expect, test } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { registerPasskey } from "./support/passkeys";
import { mainNav, personIn } from "./support/sign-in";

test.afterAll(disconnectDb);

test.beforeAll(async () => {
  const vault = await db.resource.upsert({
    where: { key: "reviewed-vault" },
    update: {},
    create: { key: "reviewed-vault", name: "Reviewed Vault", environment: "production", permissions: ["read"] },
  });
  const policy = {
    permissions: ["read"],
    requesterGroups: ["review-subjects"],
    approverGroups: ["review-owners"],
    approvalsRequired: 1,
    defaultDurationMinutes: 30,
    maxDurationMinutes: 60,
    autoApproveGroups: [],
    autoApprovePermissions: [],
  };
  await db.accessPolicy.upsert({
    where: { resourceId_name: { resourceId: vault.id, name: "vault-read" } },
    update: policy,
    create: { ...policy, resourceId: vault.id, name: "vault-read" },
  });
});

/** The deadline field's value, a week ahead, in the browser's own local time. */
const aWeekAhead = () => {
  const local = new Date(Date.now() + 7 * 86_400_000 - new Date().getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
};

test("an owner reviews who may request the vault: one kept, one removed, with one passkey confirmation", async ({
  browser,
}) => {
  // Everyone the review names has signed in once: the portal knows people from their sign-in.
  for (const name of ["Quinn Kept", "Lars Leaver"]) await (await personIn(browser, name, "/")).context().close();
  const rex = await personIn(browser, "Rex Reviewer", "/passkeys");
  await registerPasskey(rex, "Rex's laptop");

  // An approver finds reviews from the Approvals page: the navigation stays short on a phone.
  const vera = await personIn(browser, "Vera Owner", "/approvals");
  await expect(mainNav(vera).getByRole("link", { name: "Reviews" })).toHaveCount(0);
  await vera.getByRole("link", { name: "access reviews" }).click();
  await expect(vera).toHaveURL(/\/reviews$/);
  const form = vera.getByRole("form", { name: "Start a review" });
  await form.getByLabel("Name").fill("Vault eligibility, December");
  await form.getByRole("checkbox", { name: "reviewed-vault / vault-read" }).check();
  await form.getByLabel("Reviewers' e-mails").fill("rex.reviewer@example.com");
  await form.getByLabel("Deadline").fill(aWeekAhead());
  await form.getByRole("button", { name: "Start the review" }).click();
  await expect(form.getByRole("status")).toContainText("Review started with 2 people to review");
  await form.getByRole("link", { name: "Open it" }).click();
  await expect(vera).toHaveURL(/\/reviews\/[\w-]+$/);
  const reviewPath = new URL(vera.url()).pathname;
  await expect(vera.getByTestId("review-progress")).toHaveText("0 of 2 reviewed, 0 marked for removal");
  // Vera started it; she does not review it.
  await expect(vera.getByRole("region", { name: "Your verdicts" })).toHaveCount(0);

  await rex.goto("/notifications");
  // With a review to do, Rex's navigation offers Reviews.
  await expect(mainNav(rex).getByRole("link", { name: "Reviews" })).toBeVisible();
  await rex
    .getByRole("listitem")
    .filter({ hasText: "Access review: Vault eligibility, December" })
    .getByRole("link", { name: "Open" })
    .click();
  await expect(rex).toHaveURL(reviewPath);
  const panel = rex.getByRole("region", { name: "Your verdicts" });
  await panel.getByLabel("Verdict for Quinn Kept on reviewed-vault / vault-read").selectOption("CERTIFY");
  await panel.getByLabel("Verdict for Lars Leaver on reviewed-vault / vault-read").selectOption("REMOVE");
  // A removal without a reason is refused before any passkey prompt.
  await panel.getByRole("button", { name: "Record 2 verdicts" }).click();
  await expect(panel.getByRole("status")).toContainText("Say why Lars Leaver should lose");
  await panel.getByLabel("Reason for Lars Leaver on reviewed-vault / vault-read").fill("Moved to the design team");
  await panel.getByRole("button", { name: "Record 2 verdicts" }).click();
  await expect(panel.getByRole("status")).toContainText(
    "Recorded 2 verdicts with one confirmation (1 marked for removal)",
  );
  await expect(rex.getByTestId("review-progress")).toHaveText("2 of 2 reviewed, 1 marked for removal");

  await vera.reload();
  const findings = vera.getByRole("region", { name: "Findings for the directory's owners" });
  await expect(findings).toContainText("Lars Leaver on reviewed-vault / vault-read: take them out of review-subjects");
  await expect(findings).toContainText("Moved to the design team");

  const download = vera.waitForEvent("download");
  await vera.getByRole("link", { name: "Export as CSV" }).click();
  const csv = await (await (await download).createReadStream()).toArray();
  const text = Buffer.concat(csv).toString("utf8");
  expect(text).toContain(
    '"Lars Leaver","lars.leaver@example.com","review-subjects","sign-in","0","","remove","Moved to the design team"',
  );

  await vera.getByRole("button", { name: "Close the review" }).click();
  await vera.getByRole("button", { name: "Close now" }).click();
  await expect(vera.getByTestId("review-state")).toContainText("Closed");
  await expect(vera.getByTestId("review-state")).toContainText("by Vera Owner");

  // Closed: the reviewer's panel is gone, and the audit trail holds each verdict.
  await rex.reload();
  await expect(rex.getByRole("region", { name: "Your verdicts" })).toHaveCount(0);
  const reviewId = reviewPath.split("/").pop() ?? "";
  const actions = (await db.auditEvent.findMany({ where: { targetId: reviewId }, select: { action: true } })).map(
    (event) => event.action,
  );
  expect(actions.sort()).toEqual(["review.certify", "review.close", "review.export", "review.remove", "review.start"]);
});
