import { expect, test } from "@playwright/test";
import { mainNav, signInAs } from "./support/sign-in";

test("ending one's own grant asks first, says what happens, and reads as ended early by you, not revoked", async ({
  page,
}) => {
  // On-call's read on production PostgreSQL is approved at once (below the policy's risk threshold).
  await signInAs(page, "Quinn Quitter", "/request/prod-postgres");
  await page.getByRole("radio", { name: /^read/ }).check();
  await page.getByLabel("Justification").fill("Look at the slow query log for the on-call page");
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page).toHaveURL(/\/requests\/[\w-]+$/);

  await page.goto("/");
  const active = page.getByRole("list", { name: "Active grants" });
  await expect(active).toContainText("read on Production PostgreSQL");
  const end = page.getByRole("button", { name: "End read on Production PostgreSQL now" });

  // The first click only asks; keeping it changes nothing.
  await end.click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("removed in the target systems");
  await expect(dialog).toContainText("cannot be undone");
  await dialog.getByRole("button", { name: "Keep it" }).click();
  await expect(dialog).toHaveCount(0);
  await page.reload();
  await expect(active).toContainText("read on Production PostgreSQL");

  await end.click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Yes, end it now" }).click();
  const ended = page.getByRole("list", { name: "Ended grants" });
  await expect(ended).toContainText("ended early by you");
  await expect(ended).not.toContainText("revoked");
  await expect(active).toHaveCount(0);

  await expect(mainNav(page).getByRole("link", { name: /^Notifications \d+ unread$/ })).toBeVisible();
  await page.goto("/notifications");
  await expect(page.getByText("Access ended early: read on Production PostgreSQL")).toBeVisible();
});
