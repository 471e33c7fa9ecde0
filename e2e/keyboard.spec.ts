/**
 * The request and decision flows with the keyboard alone: every control is reached with Tab
 * in the page's order and operated with typing, Space and Enter, the passkey step included.
 */
import { expect, test, type Locator, type Page } from "@playwright/test";
import { addVirtualAuthenticator } from "./support/passkeys";
import { signInAs } from "./support/sign-in";

/** Presses Tab until `target` has the focus (at most `limit` times): it must be in the tab order. */
const tabTo = async (page: Page, target: Locator, limit = 60) => {
  for (let presses = 0; presses < limit; presses += 1) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`not reachable with Tab: ${target.toString()}`);
};

test("an engineer requests and an approver approves with a passkey, keyboard only", async ({ browser }) => {
  const kim = await (await browser.newContext()).newPage();
  await signInAs(kim, "Kim Keyboard", "/request");
  await tabTo(kim, kim.getByRole("link", { name: "Request access to Staging PostgreSQL" }));
  await kim.keyboard.press("Enter");
  await expect(kim).toHaveURL(/\/request\/staging-postgres$/);
  await tabTo(kim, kim.getByRole("checkbox", { name: "read" }));
  await kim.keyboard.press("Space");
  await expect(kim.getByRole("checkbox", { name: "read" })).toBeChecked();
  await tabTo(kim, kim.getByLabel("Justification"));
  await kim.keyboard.type("Compare staging data with the failing report, keyboard only");
  await tabTo(kim, kim.getByRole("button", { name: "Submit request" }));
  await kim.keyboard.press("Enter");
  await expect(kim).toHaveURL(/\/requests\/[\w-]+$/);
  const requestPath = new URL(kim.url()).pathname;

  // The approver registers a passkey and decides, keyboard only.
  const carol = await (await browser.newContext()).newPage();
  await signInAs(carol, "Carol Approver", "/passkeys");
  await addVirtualAuthenticator(carol);
  await tabTo(carol, carol.getByLabel("Passkey name"));
  await carol.keyboard.type("Carol's keyboard key");
  await tabTo(carol, carol.getByRole("button", { name: "Add a passkey" }));
  await carol.keyboard.press("Enter");
  await expect(carol.getByRole("table")).toContainText("Carol's keyboard key");

  await carol.goto(requestPath);
  // The decisions come first (on a phone they must be within the first screen), the comment after.
  await tabTo(carol, carol.getByLabel("Comment (required to deny)"));
  await carol.keyboard.type("Looks right for the report");
  await carol.keyboard.press("Shift+Tab");
  await carol.keyboard.press("Shift+Tab");
  await expect(carol.getByRole("button", { name: "Approve" })).toBeFocused();
  await carol.keyboard.press("Enter");
  await expect(carol.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(
    /Approved\. The grant is created\./,
  );

  await kim.reload();
  await expect(kim.getByRole("list", { name: "Timeline" })).toContainText("Grant started");
  for (const page of [kim, carol]) await page.context().close();
});
