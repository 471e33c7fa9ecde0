import { readFile } from "node:fs/promises";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { answerConfirm } from "./support/dialogs";
import { personIn, signInAs } from "./support/sign-in";

/** The admin area for resources and policies, and what it changes for the people who request. */

/** A key no earlier run or test used: lowercase letters, digits and hyphens. */
const uniqueKey = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

type TResourceInput = { key: string; name: string; description?: string; environment: string; permissions: string };

const fillResource = async (form: Locator, resource: TResourceInput) => {
  await form.getByLabel("Key", { exact: true }).fill(resource.key);
  await form.getByLabel("Name", { exact: true }).fill(resource.name);
  await form.getByLabel("Description", { exact: true }).fill(resource.description ?? "");
  await form.getByLabel("Environment", { exact: true }).fill(resource.environment);
  await form.getByLabel("Permissions", { exact: true }).fill(resource.permissions);
  await form.getByRole("button", { name: "Create resource" }).click();
};

/** From the resource list: the new resource's own page, where its policies are added. */
const createResource = async (page: Page, resource: TResourceInput) => {
  await page.goto("/admin/resources");
  await fillResource(page.getByRole("form", { name: "New resource" }), resource);
  await expect(page).toHaveURL(new RegExp(`/admin/resources/${resource.key}$`));
  await expect(page.getByRole("heading", { level: 1, name: resource.name })).toBeVisible();
};

type TPolicyInput = {
  name: string;
  permissions: string[];
  requesterGroups: string;
  approverGroups: string;
  approvalsRequired: string;
  defaultDurationMinutes: string;
  maxDurationMinutes: string;
  minJustificationLength?: string;
  ticketRequired?: boolean;
  ticketPattern?: string;
};

const fillPolicy = async (form: Locator, policy: TPolicyInput) => {
  await form.getByLabel("Policy name").fill(policy.name);
  const grants = form.getByRole("group", { name: "Permissions it grants" });
  for (const permission of policy.permissions)
    await grants.getByRole("checkbox", { name: permission, exact: true }).check();
  await form.getByLabel("Requester groups").fill(policy.requesterGroups);
  await form.getByLabel("Approver groups").fill(policy.approverGroups);
  await form.getByLabel("Approvals required").fill(policy.approvalsRequired);
  await form.getByLabel("Default duration (minutes)").fill(policy.defaultDurationMinutes);
  await form.getByLabel("Maximum duration (minutes)").fill(policy.maxDurationMinutes);
  if (policy.minJustificationLength)
    await form.getByLabel("Minimum justification length").fill(policy.minJustificationLength);
  // Tickets are under "More rules", folded away on a new policy.
  if (policy.ticketRequired || policy.ticketPattern) {
    await form.getByText("More rules").click();
    await form.getByRole("checkbox", { name: "A ticket is required" }).setChecked(policy.ticketRequired ?? false);
    await form.getByLabel("Ticket pattern").fill(policy.ticketPattern ?? "");
  }
  await form.getByRole("button", { name: "Add policy" }).click();
};

test("an administrator adds a resource with a policy, engineers can request it at once, and archiving withdraws it", async ({
  browser,
}) => {
  const key = uniqueKey("orders-redis");
  const name = `Orders Redis ${key.slice(-5)}`;
  const ada = await personIn(browser, "Ada Admin", "/admin");
  await ada.getByRole("link", { name: "Resources and access policies" }).click();
  await expect(ada.getByRole("heading", { level: 1, name: "Resources" })).toBeVisible();
  await createResource(ada, {
    key,
    name,
    description: "The cache in front of the orders service.",
    environment: "production",
    permissions: "read, write, flush",
  });
  const policies = ada.getByRole("region", { name: "Policies" });
  await expect(policies).toContainText("No policy yet: nobody can request this resource.");

  // Without a policy, nobody can request it.
  const alice = await personIn(browser, "Alice Engineer", "/request");
  await expect(alice.getByRole("list", { name: "Requestable resources" })).toContainText("Production PostgreSQL");
  await expect(alice.getByRole("link", { name: `Request access to ${name}` })).toHaveCount(0);

  const newPolicy = ada.getByRole("form", { name: `New policy for ${key}` });
  await fillPolicy(newPolicy, {
    name: "Engineers read and write",
    permissions: ["read", "write"],
    requesterGroups: "engineers",
    approverGroups: "db-approvers",
    approvalsRequired: "1",
    defaultDurationMinutes: "30",
    maxDurationMinutes: "120",
    minJustificationLength: "20",
    ticketRequired: true,
    ticketPattern: "^CHG-\\d+$",
  });
  await expect(newPolicy.getByRole("status")).toHaveText("Policy added.");
  const summary =
    "Engineers read and write → read, write; requesters engineers; approvers db-approvers ×1; 30/120 min; ticket required";
  await expect(policies).toContainText(summary);

  // The catalog lists it with its policy.
  await ada.getByRole("link", { name: "All resources" }).click();
  const row = ada
    .getByRole("table", { name: "Resources and their access policies" })
    .getByRole("row")
    .filter({ hasText: key });
  await expect(row).toContainText(name);
  await expect(row).toContainText("read, write, flush");
  await expect(row).toContainText(summary);

  // The engineer sees it, with the policy's rules, as soon as she looks again.
  await alice.reload();
  const card = alice
    .getByRole("list", { name: "Requestable resources" })
    .getByRole("listitem")
    .filter({ hasText: name });
  await expect(card).toContainText("The cache in front of the orders service.");
  await expect(card).toContainText("read, write: up to 120 min, 1 approval, ticket required");
  await alice.getByRole("link", { name: `Request access to ${name}` }).click();
  await expect(alice.getByRole("heading", { level: 1, name: `Request access to ${name}` })).toBeVisible();
  // One policy: nothing to choose, only what it takes.
  await expect(alice.getByRole("radio")).toHaveCount(0);
  await expect(alice.getByTestId("access-choice")).toHaveText(
    /read, write up to 120 min · 1 approval · ticket required/,
  );
  await expect(alice.getByLabel("Duration (minutes)")).toHaveValue("30");
  await expect(alice.getByText("At most 120 minutes. The grant ends on its own.")).toBeVisible();
  await expect(alice.getByText("What you will do and why, at least 20 characters.")).toBeVisible();
  await expect(alice.getByText("Format: ^CHG-\\d+$", { exact: false })).toBeVisible();

  // The policy's rules are the ones enforced: an incident number is not a change number.
  await expect(alice.getByRole("checkbox", { name: "flush" })).toHaveCount(0);
  await alice.getByRole("checkbox", { name: "write" }).check();
  await alice.getByLabel("Justification").fill("Flush a poisoned key after the deploy");
  await alice.getByRole("textbox", { name: "Ticket" }).fill("INC-4211");
  await alice.getByRole("button", { name: "Submit request" }).click();
  const ticket = alice.getByRole("textbox", { name: "Ticket" });
  await expect(ticket).toHaveAttribute("aria-invalid", "true");
  await expect(ticket).toHaveAccessibleDescription(/Must match \^CHG-\\d\+\$\./);
  // After a refusal the form comes back reset, not only the ticket: she fills it in again.
  await alice.getByRole("checkbox", { name: "write" }).check();
  await alice.getByLabel("Justification").fill("Flush a poisoned key after the deploy");
  await ticket.fill("CHG-77");
  await alice.getByRole("button", { name: "Submit request" }).click();
  await expect(alice).toHaveURL(/\/requests\/[\w-]+$/);
  await expect(alice.getByTestId("approval-count")).toHaveText("0 of 1 approval");

  // Archiving asks first; saying no changes nothing.
  await row.getByRole("link", { name }).click();
  const archive = ada.getByRole("button", { name: `Archive resource ${key}` });
  const declined = answerConfirm(ada, false);
  await archive.click();
  expect(await declined).toBe(`Archive ${key}? It can no longer be requested. This can't be undone here.`);
  await ada.reload();
  await expect(ada.getByRole("note")).toHaveCount(0);

  // While the engineer's request is pending, archiving is refused and says why.
  const refused = answerConfirm(ada, true);
  await archive.click();
  await refused;
  await expect(ada.getByRole("form", { name: `Archive resource ${key}` }).getByRole("status")).toHaveText(
    `Resource "${key}" has 1 pending request(s); they must be decided, cancelled or expire before it can be archived.`,
  );

  // Once she cancels it, the resource is archived and no longer offered to her.
  await alice.getByRole("button", { name: "Cancel request" }).click();
  await expect(alice.getByRole("button", { name: "Cancel request" })).toHaveCount(0);
  const accepted = answerConfirm(ada, true);
  await archive.click();
  await accepted;
  await expect(ada.getByRole("note")).toContainText("archived since");
  await expect(ada.getByRole("region", { name: "Add a policy" })).toHaveCount(0);
  await expect(ada.getByRole("button", { name: `Delete policy Engineers read and write` })).toHaveCount(0);

  await alice.goto("/request");
  await expect(alice.getByRole("list", { name: "Requestable resources" })).toContainText("Production PostgreSQL");
  await expect(alice.getByRole("link", { name: `Request access to ${name}` })).toHaveCount(0);
  await alice.goto(`/request/${key}`);
  await expect(alice.getByRole("heading", { name: "Page not found" })).toBeVisible();

  for (const page of [ada, alice]) await page.context().close();
});

test("the resource and policy forms explain each refused field beside it, and create nothing", async ({ page }) => {
  const key = uniqueKey("billing-api");
  const name = `Billing API ${key.slice(-5)}`;
  await signInAs(page, "Ada Admin", "/admin/resources");
  const form = page.getByRole("form", { name: "New resource" });
  const catalog = page.getByRole("table", { name: "Resources and their access policies" });

  // A key with capitals and an underscore, and a permission with a capital.
  await fillResource(form, { key: "Billing_API", name, environment: "staging", permissions: "read, Write" });
  await expect(form.getByRole("status")).toHaveText("Some fields need attention.");
  const keyField = form.getByLabel("Key", { exact: true });
  await expect(keyField).toHaveAttribute("aria-invalid", "true");
  await expect(keyField).toHaveAccessibleDescription(
    /must be 2 to 63 characters: lowercase letters, digits and hyphens, starting with a letter or digit/,
  );
  await expect(form.getByLabel("Permissions", { exact: true })).toHaveAccessibleDescription(
    /entry 2: must be 1 to 32 characters: lowercase letters, digits, _ and -, starting with a letter/,
  );
  await expect(form.getByLabel("Name", { exact: true })).not.toHaveAttribute("aria-invalid", "true");
  // What was typed stays, to be corrected.
  await expect(keyField).toHaveValue("Billing_API");
  await expect(form.getByLabel("Permissions", { exact: true })).toHaveValue("read, Write");
  await expect(catalog).not.toContainText(name);

  // A key already taken is refused beside the key, and the existing resource is untouched.
  await fillResource(form, { key: "prod-postgres", name, environment: "staging", permissions: "read, write" });
  await expect(keyField).toHaveAccessibleDescription(/A resource with key "prod-postgres" already exists\./);
  await expect(form.getByLabel("Permissions", { exact: true })).not.toHaveAttribute("aria-invalid", "true");
  await page.reload();
  await expect(catalog).not.toContainText(name);
  await expect(catalog.getByRole("row").filter({ hasText: "prod-postgres" })).toContainText("Production PostgreSQL");

  await createResource(page, { key, name, environment: "staging", permissions: "read, write" });

  // A default longer than the maximum, a ticket required without a pattern, an approver group twice.
  const newPolicy = page.getByRole("form", { name: `New policy for ${key}` });
  const policy: TPolicyInput = {
    name: "Support reads",
    permissions: ["read"],
    requesterGroups: "engineers",
    approverGroups: "db-approvers, db-approvers",
    approvalsRequired: "1",
    defaultDurationMinutes: "500",
    maxDurationMinutes: "120",
    ticketRequired: true,
  };
  await fillPolicy(newPolicy, policy);
  await expect(newPolicy.getByRole("status")).toHaveText("Some fields need attention.");
  const defaultDuration = newPolicy.getByLabel("Default duration (minutes)");
  await expect(defaultDuration).toHaveAttribute("aria-invalid", "true");
  await expect(defaultDuration).toHaveAccessibleDescription("must not exceed maxDurationMinutes (120)");
  await expect(newPolicy.getByLabel("Ticket pattern")).toHaveAccessibleDescription(
    /is required when ticketRequired is true/,
  );
  await expect(newPolicy.getByLabel("Approver groups")).toHaveAccessibleDescription(
    /entry 2: "db-approvers" is listed twice/,
  );
  await expect(newPolicy.getByLabel("Maximum duration (minutes)")).not.toHaveAttribute("aria-invalid", "true");
  await expect(defaultDuration).toHaveValue("500");
  const policies = page.getByRole("region", { name: "Policies" });
  await page.reload();
  await expect(policies).toContainText("No policy yet: nobody can request this resource.");

  // Corrected, it is added.
  await fillPolicy(newPolicy, {
    ...policy,
    approverGroups: "db-approvers",
    defaultDurationMinutes: "60",
    ticketPattern: "^SUP-\\d+$",
  });
  await expect(newPolicy.getByRole("status")).toHaveText("Policy added.");
  await expect(policies).toContainText(
    "Support reads → read; requesters engineers; approvers db-approvers ×1; 60/120 min; ticket required",
  );

  // Deleting asks first: declined, the policy stays; confirmed, it goes.
  const remove = page.getByRole("button", { name: "Delete policy Support reads" });
  const declined = answerConfirm(page, false);
  await remove.click();
  expect(await declined).toBe(`Delete policy "Support reads"? Requests already filed under it must be decided first.`);
  await page.reload();
  await expect(policies).toContainText("Support reads → read");
  const accepted = answerConfirm(page, true);
  await remove.click();
  await accepted;
  await expect(policies).toContainText("No policy yet: nobody can request this resource.");
  await page.reload();
  await expect(policies).not.toContainText("Support reads");
});

const policyYaml = (name: string, permissions: string, extra = "") => `      - name: ${name}
        permissions: [${permissions}]
        requesterGroups: [engineers]
        approverGroups: [db-approvers]
        defaultDurationMinutes: 30
        maxDurationMinutes: 120
${extra}`;

test("the catalog exports as YAML, and an import is checked in full before anything changes", async ({ page }) => {
  const key = uniqueKey("audit-queue");
  const name = `Audit queue ${key.slice(-5)}`;
  const newKey = uniqueKey("search-index");
  await signInAs(page, "Ada Admin", "/admin/resources");
  await createResource(page, { key, name, environment: "staging", permissions: "read, purge" });

  await page.getByRole("link", { name: "All resources" }).click();
  await page.getByRole("link", { name: "Export or import the catalog" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Policies: export and import" })).toBeVisible();

  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download YAML" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("access-catalog.yaml");
  const exported = await readFile(await download.path(), "utf8");
  expect(exported).toMatch(/^version: 1$/m);
  expect(exported).toContain(`key: ${key}`);
  expect(exported).toContain("key: prod-postgres");
  /** The catalog as it is now, as the same download would give it. */
  const currentExport = async () => (await page.request.get("/admin/policies/export?format=yaml")).text();

  // A document with four problems, uploaded and applied: every problem listed, nothing written.
  const broken = `version: 1
resources:
  - key: ${newKey}
    name: Search index
    environment: staging
    permissions: [read]
    policies:
${policyYaml("Readers", "read, write").replace("defaultDurationMinutes: 30", "defaultDurationMinutes: 500")}  - key: Not A Key
    name: Broken
    environment: staging
    permissions: [read]
    colour: blue
`;
  const importForm = page.getByRole("form", { name: "Import the catalog" });
  await importForm
    .getByLabel("File", { exact: true })
    .setInputFiles({ name: "broken-catalog.yaml", mimeType: "application/yaml", buffer: Buffer.from(broken) });
  await importForm.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("4 problem(s) found; nothing was changed.")).toBeVisible();
  await expect(page.getByRole("list", { name: "Problems in the document" }).getByRole("listitem")).toHaveText([
    "broken-catalog.yaml: resources[0].policies[0].defaultDurationMinutes: must not exceed maxDurationMinutes (120)",
    `broken-catalog.yaml: resources[0].policies[0].permissions[1]: "write" is not a permission of resource "${newKey}" (read)`,
    "broken-catalog.yaml: resources[1].key: must be 2 to 63 characters: lowercase letters, digits and hyphens, starting with a letter or digit",
    "broken-catalog.yaml: resources[1].colour: is not a known field",
  ]);
  await expect(page.getByRole("list", { name: "Planned changes" })).toHaveCount(0);
  expect(await currentExport()).toBe(exported);

  // A valid document, pasted: the dry run shows the plan and writes nothing.
  const valid = `version: 1
resources:
  - key: ${key}
    name: ${name}
    description: Events waiting for the audit writer.
    environment: staging
    permissions: [read, purge]
    policies:
${policyYaml("Engineers read", "read")}  - key: ${newKey}
    name: Search index
    environment: staging
    permissions: [read]
    policies:
${policyYaml("Readers", "read")}`;
  await importForm.getByLabel("File", { exact: true }).setInputFiles([]);
  await importForm.getByLabel("Document (YAML or JSON)").fill(valid);
  await importForm.getByLabel("File name").fill("catalog.yaml");
  await importForm.getByRole("button", { name: "Dry run" }).click();
  await expect(
    page.getByText(
      /^Dry run, nothing written\. Resources: 1 created, 1 updated, 0 deleted, 0 unchanged\. Policies: 2 created, 0 updated, 0 deleted, 0 unchanged\. Left alone \(not in the document\): .*prod-postgres/,
    ),
  ).toBeVisible();
  const plan = page.getByRole("list", { name: "Planned changes" }).getByRole("listitem");
  await expect(plan).toHaveText([
    `update resource ${key}: description`,
    `create policy ${key} / Engineers read`,
    `create resource ${newKey}`,
    `create policy ${newKey} / Readers`,
  ]);
  expect(await currentExport()).toBe(exported);

  // Apply sends the same text, and writes exactly that plan.
  await expect(importForm.getByLabel("Document (YAML or JSON)")).toHaveValue(valid);
  await importForm.getByRole("button", { name: "Apply" }).click();
  await expect(
    page.getByText(/^Applied\. Resources: 1 created, 1 updated, 0 deleted, 0 unchanged\. Policies: 2 created/),
  ).toBeVisible();
  await expect(plan).toHaveCount(4);
  const after = await currentExport();
  expect(after).toContain(`key: ${newKey}`);
  expect(after).toContain("description: Events waiting for the audit writer.");

  // Applying it again changes nothing.
  await importForm.getByRole("button", { name: "Apply" }).click();
  await expect(
    page.getByText(/^Nothing to change\. Resources: 0 created, 0 updated, 0 deleted, 2 unchanged\./),
  ).toBeVisible();
  await expect(page.getByRole("list", { name: "Planned changes" })).toHaveCount(0);

  await page.getByRole("link", { name: "Edit resources and policies one by one" }).click();
  const row = page
    .getByRole("table", { name: "Resources and their access policies" })
    .getByRole("row")
    .filter({ hasText: newKey });
  await expect(row).toContainText("Readers → read; requesters engineers; approvers db-approvers ×1; 30/120 min");
});

test("an engineer is refused the catalog pages and its export", async ({ page, request }) => {
  await signInAs(page, "Alice Engineer");
  for (const path of ["/admin/resources", "/admin/resources/prod-postgres", "/admin/policies"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: "You do not have access to this page" }), path).toBeVisible();
    await expect(page.getByRole("button", { name: /Create resource|Add policy|Apply/ }), path).toHaveCount(0);
  }

  // With her session cookie: 403, as JSON, and no catalog in it.
  const denied = await page.request.get("/admin/policies/export?format=yaml");
  expect(denied.status()).toBe(403);
  expect(denied.headers()["content-type"]).toContain("application/json");
  const body = (await denied.json()) as { error: string; message: string };
  expect(body.error).toBe("FORBIDDEN");
  expect(JSON.stringify(body)).not.toContain("prod-postgres");

  // Without any session: 401.
  const anonymous = await request.get("/admin/policies/export?format=json");
  expect(anonymous.status()).toBe(401);
  expect(await anonymous.json()).toMatchObject({ error: "UNAUTHENTICATED" });
});
