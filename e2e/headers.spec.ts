import { expect, test } from "@playwright/test";
import { signInAs } from "./support/sign-in";

test("pages carry a nonce-based CSP, every script has this response's nonce, and nothing is blocked", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(message.text());
  });

  const response = await page.goto("/signin");
  const policy = response?.headers()["content-security-policy"] ?? "";
  const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
  expect(nonce, policy).toBeTruthy();
  expect(policy).toContain("'strict-dynamic'");
  expect(policy).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
  expect(response?.headers()["x-frame-options"]).toBe("DENY");
  const scripts = await page.locator("script").evaluateAll((elements) => elements.map((element) => (element as HTMLScriptElement).nonce));
  expect(scripts.length).toBeGreaterThan(0);
  expect(scripts.every((value) => value === nonce)).toBe(true);

  // A second response gets another nonce.
  const again = await page.request.get("/signin");
  expect(again.headers()["content-security-policy"]).not.toContain(`'nonce-${nonce}'`);

  // Client components still hydrate and work under the policy: sign in, open the request form.
  await signInAs(page, "Alice Engineer", "/request");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  expect(violations).toEqual([]);
});

test("state-changing requests from another site are refused before any handler, server actions included", async ({ page }) => {
  await signInAs(page, "Alice Engineer", "/request");
  for (const path of ["/api/auth/signout", "/request", "/admin/resources"]) {
    const refused = await page.request.post(path, { headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" }, data: "a=1" });
    expect(refused.status(), path).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe("cross_site_request");
  }
  // The session survived: the refused sign-out did nothing.
  await page.goto("/request");
  await expect(page).toHaveURL(/\/request$/);
});
