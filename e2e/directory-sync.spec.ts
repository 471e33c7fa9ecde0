import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { signInAs } from "./support/sign-in";

/**
 * An administrator connects an IdP on Admin -> Directory sync: the token is shown once. An
 * Okta-shaped SCIM session (lookup, create, push a group, deactivate) through the portal's
 * own origin then creates a person who appears among the users before any sign-in, and the
 * deactivation shows in the audit log with the directory as actor (docs/identity-providers.md).
 */
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

test("an administrator creates a directory token (shown once); an Okta-shaped SCIM session creates and deactivates a person, seen in the UI and the audit log", async ({
  page,
  request,
}) => {
  const tag = randomBytes(4).toString("hex");
  const name = `Okta e2e ${tag}`;
  await signInAs(page, "Ada Admin", "/admin/directory");
  const form = page.getByRole("form", { name: "New directory connection" });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Issuer", { exact: true }).fill(`https://okta-${tag}.example.com`);
  await form.getByRole("button", { name: "Create connection" }).click();
  await expect(page.getByTestId("directory-token")).toBeVisible();
  const token = (await page.getByTestId("directory-token-value").textContent())?.trim() ?? "";
  expect(token).toMatch(/^jds_/);
  await expect(page.getByTestId(`directory-${name}`)).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("directory-token")).toHaveCount(0);
  expect(await page.content()).not.toContain(token);

  const scim = { authorization: `Bearer ${token}`, "content-type": "application/scim+json" };
  expect((await request.get("/scim/v2/Users", { headers: { authorization: "Bearer jds_wrong" } })).status()).toBe(401);

  const userName = `okta.${tag}@example.com`;
  const lookup = await request.get(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, {
    headers: scim,
  });
  expect(lookup.status()).toBe(200);
  expect(((await lookup.json()) as { totalResults: number }).totalResults).toBe(0);
  const created = await request.post("/scim/v2/Users", {
    headers: scim,
    data: {
      schemas: [USER],
      userName,
      name: { givenName: "Olga", familyName: tag },
      emails: [{ primary: true, value: userName, type: "work" }],
      displayName: `Olga ${tag}`,
      externalId: `00u${tag}`,
      groups: [],
      active: true,
    },
  });
  expect(created.status()).toBe(201);
  expect(created.headers()["content-type"]).toContain("application/scim+json");
  const { id } = (await created.json()) as { id: string };
  const group = await request.post("/scim/v2/Groups", {
    headers: scim,
    data: { schemas: [GROUP], displayName: `okta-e2e-${tag}`, members: [] },
  });
  expect(group.status()).toBe(201);
  const { id: groupId } = (await group.json()) as { id: string };
  const added = await request.patch(`/scim/v2/Groups/${groupId}`, {
    headers: scim,
    data: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: id }] }] },
  });
  expect(added.status()).toBe(200);

  await page.goto("/admin");
  const row = page.getByTestId(`user-row-${userName}`);
  await expect(row).toContainText(`Olga ${tag}`);
  await expect(row).toContainText(`okta-e2e-${tag}`);
  await expect(row).toContainText("never");
  await expect(row).toContainText("active");

  const deactivated = await request.patch(`/scim/v2/Users/${id}`, {
    headers: scim,
    data: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] },
  });
  expect(deactivated.status()).toBe(200);
  expect(((await deactivated.json()) as { active: boolean }).active).toBe(false);
  await page.reload();
  await expect(page.getByTestId(`user-row-${userName}`)).toContainText("deactivated");

  await page.goto("/security/events");
  const event = page.getByRole("row").filter({ hasText: "user.deactivate" }).filter({ hasText: "directory" });
  await expect(event.first()).toBeVisible();
});
