import { expect, type Browser, type Page } from "@playwright/test";

/**
 * Signs in as a person does: the portal's button, then the IdP's page, then back. When the
 * browser still has a session at the IdP, the IdP sends it straight back without a page.
 */
export const signInAs = async (page: Page, name: string, path = "/"): Promise<void> => {
  await page.goto(path);
  await expect(page).toHaveURL(/\/signin/);
  await page.getByRole("button", { name: /sign in with/i }).click();
  const pick = page.getByRole("button", { name: `Sign in as ${name}` });
  const signedIn = page.getByTestId("signed-in-as");
  await expect(pick.or(signedIn)).toBeVisible();
  if (await pick.isVisible()) await pick.click();
  await expect(signedIn).toContainText(name);
};

export const mainNav = (page: Page) => page.getByRole("navigation", { name: "Main" });

/** A person signed in in a browser context of their own, on `path`. */
export const personIn = async (browser: Browser, name: string, path: string): Promise<Page> => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, name, path);
  return page;
};
