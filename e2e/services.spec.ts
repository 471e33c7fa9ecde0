import { expect, test } from "@playwright/test";
import { signInAs } from "./support/sign-in";

/**
 * An administrator creates a service client: the secret is shown once, and it works at once
 * against the portal's own origin (proxied to the API server). Nobody else reaches the page.
 */
test("an administrator creates a service client; the secret is shown once and gets a token through the portal's origin", async ({
  page,
  request,
}) => {
  const name = `e2e-proxy-${Date.now().toString(36)}`;
  await signInAs(page, "Ada Admin", "/admin/services");
  const form = page.getByRole("form", { name: "New service client" });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("grants:read").check();
  await form.getByRole("button", { name: "Create client" }).click();

  const shown = page.getByTestId("service-client-secret");
  await expect(shown).toBeVisible();
  const clientId = (await page.getByTestId("service-client-id").textContent())?.trim() ?? "";
  const secret = (await page.getByTestId("service-client-secret-value").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^jcs_/);
  await expect(page.getByTestId(`service-client-${name}`)).toContainText("access:check, grants:read");

  await page.reload();
  await expect(page.getByTestId(`service-client-${name}`)).toBeVisible();
  await expect(page.getByTestId("service-client-secret")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  const token = await request.post("/api/v1/oauth/token", {
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}` },
    form: { grant_type: "client_credentials" },
  });
  expect(token.status()).toBe(200);
  const { access_token: accessToken } = (await token.json()) as { access_token: string };
  const check = await request.post("/api/v1/access/check", {
    headers: { authorization: `Bearer ${accessToken}` },
    data: { subject: "nobody@example.com", resource: "prod-postgres", permission: "read" },
  });
  expect(check.status()).toBe(200);
  expect(await check.json()).toEqual({ allowed: false });
  expect((await request.get("/.well-known/jwks.json")).status()).toBe(200);
});

test("a non-administrator cannot open the service clients page", async ({ page }) => {
  await signInAs(page, "Alice Engineer", "/");
  await page.goto("/admin/services");
  await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
});
