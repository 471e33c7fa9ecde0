import { expect, test } from "@playwright/test";
import { APP_URL } from "./support/env";
import { mainNav, signInAs } from "./support/sign-in";

/** What each role sees: the navigation, and a 403 for every area outside its groups. */
const ROLES = [
  {
    name: "Alice Engineer",
    nav: ["My access", "Request", "Passkeys", "My devices", /^Notifications( \d+ unread)?$/],
    denied: ["/admin", "/security", "/approvals"],
  },
  {
    name: "Bob Approver",
    nav: ["My access", "Request", "Approvals", "Delegation", "Passkeys", "My devices", /^Notifications( \d+ unread)?$/],
    denied: ["/admin", "/security"],
  },
  {
    name: "Sam Security",
    nav: ["My access", "Request", "Reviews", "Security", "Passkeys", "My devices", /^Notifications( \d+ unread)?$/],
    denied: ["/admin", "/approvals"],
  },
  // Administrators read the Security area too (docs/decisions/0010-security-area.md).
  {
    name: "Ada Admin",
    nav: [
      "My access",
      "Request",
      "Reviews",
      "Security",
      "Admin",
      "Passkeys",
      "My devices",
      /^Notifications( \d+ unread)?$/,
    ],
    denied: ["/approvals"],
  },
];

test.describe("signed-out visitors", () => {
  test("are sent to sign-in from every area, and come back where they were going", async ({ page }) => {
    for (const path of ["/", "/request", "/approvals", "/security", "/admin"]) {
      await page.goto(path);
      await expect(page).toHaveURL(
        new RegExp(`/signin\\?callbackUrl=${encodeURIComponent(path).replace(/[/]/g, "%2F")}`),
      );
    }
    await page.getByRole("button", { name: /sign in with/i }).click();
    await page.getByRole("button", { name: "Sign in as Ada Admin" }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole("heading", { name: "Admin" })).toBeVisible();
  });

  test("can read the health check, which says nothing about users", async ({ request }) => {
    const health = await request.get("/api/health");
    expect(health.status()).toBe(200);
    expect(await health.json()).toEqual({ ok: true, database: "up", redis: "up" });
  });

  test("cannot frame the portal (clickjacking)", async ({ request }) => {
    const response = await request.get("/signin");
    expect(response.headers()["x-frame-options"]).toBe("DENY");
    expect(response.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  });

  test("are never sent off-site after sign-in", async ({ page }) => {
    await page.goto("/signin?callbackUrl=/%5Cevil.example");
    await page.getByRole("button", { name: /sign in with/i }).click();
    await page.getByRole("button", { name: "Sign in as Alice Engineer" }).click();
    await expect(page.getByTestId("signed-in-as")).toContainText("Alice Engineer");
    expect(new URL(page.url()).host).toBe(new URL(APP_URL).host);
  });
});

for (const role of ROLES) {
  test(`${role.name} sees exactly their areas`, async ({ page }) => {
    await signInAs(page, role.name);
    await expect(mainNav(page).getByRole("link")).toHaveText(role.nav);
    for (const path of role.denied) {
      await page.goto(path);
      await expect(page.getByRole("heading", { name: "You do not have access to this page" }), path).toBeVisible();
    }
  });
}

test("an engineer sees the resources their groups may request", async ({ page }) => {
  await signInAs(page, "Alice Engineer", "/request");
  const resources = page.getByRole("list", { name: "Requestable resources" });
  await expect(resources).toContainText("Production PostgreSQL");
  await expect(resources).toContainText("Staging PostgreSQL");
});

test("a security reviewer sees sign-ins and denials in the audit trail", async ({ page }) => {
  await signInAs(page, "Sam Security", "/security/events");
  const table = page.getByRole("table");
  await expect(table).toContainText("auth.sign_in");
  // Earlier specs were refused areas; every refusal is recorded.
  await expect(table).toContainText("authz.denied");
});

test("an administrator sees the people from SSO with their groups", async ({ page }) => {
  await signInAs(page, "Ada Admin", "/admin");
  await expect(page.getByTestId("user-row-alice@example.com")).toContainText("engineers");
  await expect(page.getByTestId("user-row-ada@example.com")).toContainText("(you)");
  await expect(page.getByTestId("worker-status")).toBeVisible();
});
