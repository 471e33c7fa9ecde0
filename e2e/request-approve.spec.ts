import { expect, test, type Page } from "@playwright/test";
import { registerPasskey } from "./support/passkeys";
import { personIn, signInAs } from "./support/sign-in";

const approve = async (page: Page, requestUrl: string, expected: RegExp) => {
  await page.goto(requestUrl);
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(expected);
};

test("an engineer's request is approved by two approvers with passkeys, and the grant counts down", async ({
  browser,
}) => {
  // The engineer asks for write on production PostgreSQL for 30 minutes.
  const alice = await personIn(browser, "Alice Engineer", "/request");
  await alice.getByRole("link", { name: "Request access to Production PostgreSQL" }).click();
  await alice.getByRole("radio", { name: /^write/ }).check();
  // A single permission is preselected: there is no checkbox to tick.
  await expect(alice.getByTestId("single-permission")).toHaveText("Permission: write");
  await expect(alice.getByRole("checkbox")).toHaveCount(0);
  await alice.getByLabel("Duration (minutes)").fill("30");
  await alice.getByLabel("Justification").fill("Backfill the invoices table after the failed deploy");
  await alice.getByRole("textbox", { name: "Ticket" }).fill("INC-4211");
  await alice.getByRole("button", { name: "Submit request" }).click();
  await expect(alice).toHaveURL(/\/requests\/[\w-]+$/);
  const requestUrl = new URL(alice.url()).pathname;
  await expect(alice.getByTestId("approval-count")).toHaveText("0 of 2 approvals");
  // The requester is never offered a decision on their own request.
  await expect(alice.getByRole("region", { name: "Your decision" })).toHaveCount(0);

  // Approver one has no passkey yet: trying to decide leads to registering one.
  const bob = await personIn(browser, "Bob Approver", "/approvals");
  await bob.getByRole("link", { name: /Alice Engineer: write on Production PostgreSQL/ }).click();
  await bob.getByRole("button", { name: "Approve" }).click();
  await bob.getByRole("link", { name: "Register a passkey" }).click();
  await expect(bob).toHaveURL(/\/passkeys\?returnTo=/);
  await registerPasskey(bob, "Bob's laptop");
  await bob.getByRole("link", { name: "Continue where you were" }).click();
  await expect(bob).toHaveURL(new RegExp(`${requestUrl}$`));
  await approve(bob, requestUrl, /Your approval is recorded: 1 of 2/);

  // The policy needs two approvals: approver two does the same.
  const carol = await personIn(browser, "Carol Approver", "/passkeys");
  await registerPasskey(carol, "Carol's phone");
  await approve(carol, requestUrl, /Approved\. The grant is created\./);

  // The timeline names each decision and its passkey.
  await carol.reload();
  const timeline = carol.getByRole("list", { name: "Timeline" });
  await expect(timeline).toContainText("Approved by Bob Approver with passkey “Bob's laptop”");
  await expect(timeline).toContainText("Approved by Carol Approver with passkey “Carol's phone”");
  await expect(timeline).toContainText("Grant started");

  // The engineer sees the active grant with its countdown.
  await alice.goto("/");
  const active = alice.getByRole("list", { name: "Active grants" });
  await expect(active).toContainText("write on Production PostgreSQL");
  const timer = active.getByRole("timer");
  await expect(timer).toHaveText(/^(29|30):\d\d left$/);
  const first = await timer.textContent();
  await expect(timer).not.toHaveText(first ?? "", { timeout: 3_000 });

  // A second request for the same access is refused with a link to the live grant.
  await alice.goto("/request/prod-postgres");
  await alice.getByRole("radio", { name: /^write/ }).check();
  await alice.getByLabel("Justification").fill("Another backfill for the same incident please");
  await alice.getByRole("textbox", { name: "Ticket" }).fill("INC-4211");
  await alice.getByRole("button", { name: "Submit request" }).click();
  await expect(alice.getByRole("alert").filter({ hasText: "You already have an active grant" })).toBeVisible();
  await expect(alice.getByRole("link", { name: "See the existing request" })).toHaveAttribute("href", requestUrl);

  for (const page of [alice, bob, carol]) await page.context().close();
});

test("the request form explains each rule it refuses, beside the field", async ({ page }) => {
  await signInAs(page, "Alice Engineer", "/request/prod-postgres");
  await page.getByRole("radio", { name: /^write/ }).check();
  await page.getByLabel("Duration (minutes)").fill("500");
  await page.getByLabel("Justification").fill("short");
  await page.getByRole("textbox", { name: "Ticket" }).fill("JIRA-1");
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Check the highlighted fields." })).toBeVisible();
  await expect(page.getByLabel("Duration (minutes)")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("At most 120 minutes under this policy.")).toBeVisible();
  await expect(page.getByText("Explain why in at least 20 characters.")).toBeVisible();
  await expect(page.getByText("Must match ^(INC|CHG)-\\d+$.")).toBeVisible();
  // What the person typed is still there to correct.
  await expect(page.getByLabel("Justification")).toHaveValue("short");
  await expect(page.getByRole("textbox", { name: "Ticket" })).toHaveValue("JIRA-1");
  await expect(page.getByLabel("Duration (minutes)")).toHaveValue("500");
  await expect(page.getByTestId("single-permission")).toHaveText("Permission: write");
});

test("someone outside a policy's approver groups cannot see or decide its requests", async ({ browser }) => {
  const oscar = await personIn(browser, "Oscar On-call", "/request/staging-postgres");
  await oscar.getByLabel("Justification").fill("Check staging data for the report");
  await oscar.getByRole("checkbox", { name: "read" }).check();
  await oscar.getByRole("button", { name: "Submit request" }).click();
  await expect(oscar).toHaveURL(/\/requests\/[\w-]+$/);
  const requestUrl = new URL(oscar.url()).pathname;

  const alice = await personIn(browser, "Alice Engineer", requestUrl);
  // Answered as for an id that does not exist: a refusal does not confirm the request exists.
  await expect(alice.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(alice.getByRole("button", { name: "Approve" })).toHaveCount(0);

  for (const page of [oscar, alice]) await page.context().close();
});
