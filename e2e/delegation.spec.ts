/**
 * Approval delegation in the browser (ADR 0056): an approver hands her approvals to a
 * colleague; the colleague sees the request in his inbox marked as hers, approves it with his
 * own passkey, and the request's timeline names both. Ending the delegation takes the next
 * request out of his inbox.
 */
import { expect, test, type Page } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { registerPasskey } from "./support/passkeys";
import { personIn } from "./support/sign-in";

test.afterAll(disconnectDb);

test.beforeAll(async () => {
  const base = {
    approvalsRequired: 1,
    defaultDurationMinutes: 30,
    maxDurationMinutes: 60,
    minJustificationLength: 10,
    autoApproveGroups: [],
    autoApprovePermissions: [],
  };
  const delegated = await db.resource.upsert({
    where: { key: "delegated-ledger" },
    update: {},
    create: {
      key: "delegated-ledger",
      name: "Delegated Ledger",
      environment: "production",
      permissions: ["read", "write"],
    },
  });
  const policy = {
    ...base,
    permissions: ["read", "write"],
    requesterGroups: ["delegation-requesters"],
    approverGroups: ["delegation-approvers"],
  };
  await db.accessPolicy.upsert({
    where: { resourceId_name: { resourceId: delegated.id, name: "ledger" } },
    update: policy,
    create: { ...policy, resourceId: delegated.id, name: "ledger" },
  });
  // Cole approves something else: that is what makes him an approver one may delegate to.
  const other = await db.resource.upsert({
    where: { key: "cover-wiki" },
    update: {},
    create: { key: "cover-wiki", name: "Cover Wiki", environment: "staging", permissions: ["read"] },
  });
  const coverPolicy = {
    ...base,
    permissions: ["read"],
    requesterGroups: ["engineers"],
    approverGroups: ["cover-approvers"],
  };
  await db.accessPolicy.upsert({
    where: { resourceId_name: { resourceId: other.id, name: "cover-read" } },
    update: coverPolicy,
    create: { ...coverPolicy, resourceId: other.id, name: "cover-read" },
  });
});

const submit = async (page: Page, permission: string) => {
  await page.goto("/request");
  await page.getByRole("link", { name: "Request access to Delegated Ledger" }).click();
  await page.getByRole("checkbox", { name: permission }).check();
  await page.getByLabel("Duration (minutes)").fill("30");
  await page.getByLabel("Justification").fill(`Reconcile the ledger (${permission}) for the month end`);
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page).toHaveURL(/\/requests\/[\w-]+$/);
  return new URL(page.url()).pathname;
};

test("a delegate approves for an approver who is away, and ending the delegation stops it", async ({ browser }) => {
  // Cole must have signed in once to be found by his address.
  const cole = await personIn(browser, "Cole Cover", "/passkeys");
  await registerPasskey(cole, "Cole's laptop");

  const dana = await personIn(browser, "Dana Delegator", "/delegations");
  await expect(dana.getByRole("link", { name: "Delegation" })).toBeVisible();
  const until = await dana.evaluate(() => {
    const at = new Date(Date.now() + 2 * 86_400_000);
    const pad = (value: number) => String(value).padStart(2, "0");
    return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
  });
  // A refusal first: oneself is not a delegate.
  await dana.getByLabel("Delegate's e-mail").fill("dana.delegator@example.com");
  await dana.getByLabel("Until").fill(until);
  await dana.getByLabel("Reason").fill("Away at the offsite");
  await dana.getByRole("button", { name: "Delegate my approvals" }).click();
  const form = dana.getByRole("form", { name: "Delegate my approvals" });
  await expect(form.getByRole("alert")).toHaveText("You cannot delegate to yourself.");
  await expect(dana.getByLabel("Delegate's e-mail")).toHaveAttribute("aria-invalid", "true");
  await expect(dana.getByLabel("Reason")).toHaveValue("Away at the offsite");

  await dana.getByLabel("Delegate's e-mail").fill("cole.cover@example.com");
  await dana.getByLabel("Until").fill(until);
  await dana.getByRole("button", { name: "Delegate my approvals" }).click();
  await expect(form.getByRole("status")).toHaveText("Delegation saved. Your delegate has been told.");
  const given = dana.getByRole("table").first();
  await expect(given).toContainText("Cole Cover");
  await expect(given).toContainText("running");

  const reid = await personIn(browser, "Reid Requester", "/request");
  const requestUrl = await submit(reid, "read");

  await cole.goto("/approvals");
  const item = cole.getByRole("listitem").filter({ hasText: "Reid Requester: read on Delegated Ledger" });
  await expect(item).toContainText("For Dana Delegator");
  await item.getByRole("link", { name: /Reid Requester: read on Delegated Ledger/ }).click();
  await expect(cole.getByText("You decide this request for Dana Delegator")).toBeVisible();
  await cole.getByRole("button", { name: "Approve" }).click();
  await expect(cole.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(
    "Approved. The grant is created.",
  );

  await reid.goto(requestUrl);
  await expect(reid.getByRole("list", { name: "Timeline" })).toContainText(
    "Approved by Cole Cover for Dana Delegator (delegated) with passkey “Cole's laptop”",
  );
  const requestId = requestUrl.split("/").at(-1) ?? "";
  const approval = await db.approval.findFirstOrThrow({ where: { requestId }, include: { onBehalfOf: true } });
  expect(approval.onBehalfOf?.name).toBe("Dana Delegator");

  // Dana ends it early; Reid's next request does not reach Cole.
  await dana.reload();
  await expect(dana.getByRole("table").first()).toContainText("1");
  await dana.getByRole("button", { name: "End the delegation to Cole Cover" }).click();
  await expect(dana.getByRole("table").first()).toContainText("ended");
  const second = await submit(reid, "write");
  await cole.goto("/approvals");
  await expect(cole.getByRole("link", { name: /Reid Requester: write on Delegated Ledger/ })).toHaveCount(0);
  await cole.goto(second);
  await expect(cole.getByRole("heading", { name: "Page not found" })).toBeVisible();

  for (const page of [dana, cole, reid]) await page.context().close();
});
