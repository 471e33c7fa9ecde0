import { expect, test } from "@playwright/test";
import { signInAs } from "./support/sign-in";

test("a deactivated user is thrown out on their next request and cannot sign in again", async ({ browser }) => {
  const daveContext = await browser.newContext();
  const adminContext = await browser.newContext();
  const dave = await daveContext.newPage();
  const admin = await adminContext.newPage();

  await signInAs(dave, "Dave Departing");
  await expect(dave.getByRole("heading", { name: "My access" })).toBeVisible();

  await signInAs(admin, "Ada Admin", "/admin");
  const row = admin.getByTestId("user-row-dave@example.com");
  await row.getByRole("button", { name: "Deactivate Dave Departing" }).click();
  await expect(row.getByRole("status")).toHaveText("User deactivated; their sessions have ended.");
  await expect(row).toContainText("deactivated");

  // The very next click: no waiting for a token to expire.
  await dave.getByRole("link", { name: "Request", exact: true }).click();
  await expect(dave).toHaveURL(/\/signin\?reason=(revoked|deactivated)/);

  // Signing in again through the IdP (whose own session is still open) is refused, with the
  // answer every refused account gets (rate-limits.spec.ts): it does not say "deactivated".
  await dave.getByRole("button", { name: /sign in with/i }).click();
  await expect(dave).toHaveURL(/\/signin\?error=AccessDenied/);
  await expect(dave.getByRole("alert").filter({ hasText: "Sign-in was refused." })).toBeVisible();
  await expect(dave.getByTestId("signed-in-as")).toHaveCount(0);

  // Reactivated, Dave can sign in again.
  await row.getByRole("button", { name: "Reactivate Dave Departing" }).click();
  await expect(row.getByRole("status")).toHaveText("User reactivated.");
  await signInAs(dave, "Dave Departing");

  await daveContext.close();
  await adminContext.close();
});

test("a session cookie replayed after sign-out is refused", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, "Erin Signout");
  const cookies = await context.cookies();
  expect(cookies.some((cookie) => cookie.name.includes("session-token"))).toBe(true);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin\?reason=signed_out/);
  await context.close();

  // An attacker who copied the cookie before sign-out gets nothing with it.
  const replay = await browser.newContext();
  await replay.addCookies(cookies);
  const stolen = await replay.newPage();
  await stolen.goto("/");
  await expect(stolen).toHaveURL(/\/signin\?reason=revoked/);
  await replay.close();
});

test("an administrator cannot deactivate themselves", async ({ page }) => {
  await signInAs(page, "Ada Admin", "/admin");
  const self = page.getByTestId("user-row-ada@example.com");
  await expect(self.getByRole("button")).toHaveCount(0);
});
