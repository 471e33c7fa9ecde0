/**
 * Bundles on the administrators' page (ADR 0054): an administrator creates one (a line the
 * catalog does not offer is refused with its number), engineers are offered it, the
 * administrator edits it and deletes it (after a confirmation), and engineers are no longer
 * offered it.
 */
import { expect, test } from "@playwright/test";
import { answerConfirm } from "./support/dialogs";
import { personIn } from "./support/sign-in";

test("an administrator creates, edits and deletes a bundle, and engineers see each change", async ({ browser }) => {
  const ada = await personIn(browser, "Ada Admin", "/admin");
  await ada.getByRole("link", { name: "Bundles" }).click();
  await expect(ada).toHaveURL(/\/admin\/bundles$/);
  const create = ada.getByRole("form", { name: "New bundle" });
  await create.getByLabel("Name").fill("On-call kit");
  await create.getByLabel("Description").fill("What the first responder needs");
  await create.getByLabel("Items").fill("prod-postgres read read\nk8s-prod view-exec root");
  await create.getByRole("button", { name: "Create bundle" }).click();
  await expect(create.getByRole("status")).toHaveText("Some fields need attention.");
  await expect(create.getByText('line 2: policy "view-exec" of "k8s-prod" does not offer "root"')).toBeVisible();
  // What was typed stays, to be corrected.
  await expect(create.getByLabel("Name")).toHaveValue("On-call kit");
  await expect(create.getByLabel("Items")).toHaveValue("prod-postgres read read\nk8s-prod view-exec root");
  await create.getByLabel("Items").fill("prod-postgres read read");
  await create.getByRole("button", { name: "Create bundle" }).click();
  await expect(create.getByRole("status")).toHaveText("Bundle saved.");

  const alice = await personIn(browser, "Alice Engineer", "/request");
  await alice.getByRole("link", { name: "Request the bundle On-call kit" }).click();
  await expect(alice.getByRole("list", { name: "Items of this bundle" })).toContainText("prod-postgres read");
  await expect(alice.getByRole("list", { name: "Items of this bundle" })).not.toContainText("k8s-prod");

  await ada.reload();
  const edit = ada.getByRole("form", { name: "Edit bundle On-call kit" });
  await edit.getByLabel("Items").fill("prod-postgres read read\nk8s-prod view-exec view");
  await edit.getByRole("button", { name: "Save bundle" }).click();
  await expect(edit.getByRole("status")).toHaveText("Bundle saved.");
  await alice.reload();
  await expect(alice.getByRole("list", { name: "Items of this bundle" })).toContainText("k8s-prod view");

  // Deleting asks first: declined, the bundle stays; confirmed, it goes.
  const remove = ada.getByRole("button", { name: "Delete the bundle On-call kit" });
  const declined = answerConfirm(ada, false);
  await remove.click();
  expect(await declined).toContain("Delete the bundle On-call kit?");
  await expect(ada.getByRole("form", { name: "Edit bundle On-call kit" })).toBeVisible();
  const confirmed = answerConfirm(ada, true);
  await remove.click();
  await confirmed;
  await expect(ada.getByRole("form", { name: "Edit bundle On-call kit" })).toHaveCount(0);
  await alice.goto("/request");
  await expect(alice.getByRole("link", { name: "Request the bundle Incident responder" })).toBeVisible();
  await expect(alice.getByRole("link", { name: "Request the bundle On-call kit" })).toHaveCount(0);

  for (const page of [ada, alice]) await page.context().close();
});
