/**
 * The README's pictures of the real UI, taken from the running production build: the request
 * form, an approver's view of a request with its risk signals, and the Security area. Every
 * e2e run takes them (and checks what they show); `npm run screenshots` also writes them to
 * docs/screenshots/ so the README stays current.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { signInAs } from "./support/sign-in";

const OUT = process.env.SCREENSHOTS_DIR ?? path.join(".test-output", "screenshots");

const personIn = async (browser: Browser, name: string, pathname: string): Promise<Page> => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signInAs(page, name, pathname);
  return page;
};

const shoot = async (page: Page, name: string) => {
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: false });
};

test("screenshots: request form, a request as its approver sees it, the Security area", async ({ browser }) => {
  const penny = await personIn(browser, "Penny Preview", "/request/prod-postgres");
  await penny.getByRole("radio", { name: /^write/ }).check();
  await penny.getByLabel("Duration (minutes)").fill("45");
  await penny.getByLabel("Justification").fill("Backfill the invoices table after the failed deploy of INC-4211");
  await penny.getByRole("textbox", { name: "Ticket" }).fill("INC-4211");
  await shoot(penny, "request-form");
  await penny.getByRole("button", { name: "Submit request" }).click();
  await expect(penny).toHaveURL(/\/requests\/[\w-]+$/);
  const requestPath = new URL(penny.url()).pathname;

  const bob = await personIn(browser, "Bob Approver", requestPath);
  await expect(bob.getByRole("heading", { level: 1 })).toContainText("Production PostgreSQL");
  await expect(bob.getByRole("region", { name: "Your decision" })).toBeVisible();
  await shoot(bob, "approver-request");

  const sam = await personIn(browser, "Sam Security", "/security");
  await expect(sam.getByRole("heading", { level: 1 })).toBeVisible();
  await shoot(sam, "security-area");

  for (const page of [penny, bob, sam]) await page.context().close();
});
