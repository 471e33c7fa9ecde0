/**
 * A request filed for a teammate, in the browser (ADR 0057): the outgoing on-call engineer
 * files it for the next one, an approver approves it with a passkey, and nothing is granted
 * until the teammate acknowledges it with one click; then the grant is theirs.
 */
import { expect, test } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { registerPasskey } from "./support/passkeys";
import { personIn } from "./support/sign-in";

test.afterAll(disconnectDb);

test.beforeAll(async () => {
  const resource = await db.resource.upsert({
    where: { key: "handover-console" },
    update: {},
    create: { key: "handover-console", name: "Handover Console", environment: "production", permissions: ["operate"] },
  });
  const policy = {
    permissions: ["operate"],
    requesterGroups: ["handover-oncall"],
    approverGroups: ["handover-approvers"],
    approvalsRequired: 1,
    defaultDurationMinutes: 60,
    maxDurationMinutes: 120,
    minJustificationLength: 10,
    autoApproveGroups: [],
    autoApprovePermissions: [],
    onBehalfOfAllowed: true,
  };
  await db.accessPolicy.upsert({
    where: { resourceId_name: { resourceId: resource.id, name: "handover" } },
    update: policy,
    create: { ...policy, resourceId: resource.id, name: "handover" },
  });
});

test("a request filed for the next on-call starts only when they acknowledge it", async ({ browser }) => {
  // Nina must have signed in once to be found by her address.
  const nina = await personIn(browser, "Nina Next", "/");
  const hana = await personIn(browser, "Hana Handover", "/passkeys");
  await registerPasskey(hana, "Hana's key");

  const otto = await personIn(browser, "Otto Oncall", "/request");
  await otto.getByRole("link", { name: "Request access to Handover Console" }).click();
  await otto.getByLabel("Justification").fill("Handing INC-4711 over to the next on-call");
  await otto.getByLabel("For a teammate (optional)").fill("otto.oncall@example.com");
  await otto.getByRole("button", { name: "Submit request" }).click();
  await expect(otto.locator("#onBehalfOfEmail-error")).toHaveText(
    "That is you: leave this field empty to request for yourself.",
  );
  await otto.getByLabel("For a teammate (optional)").fill("nina.next@example.com");
  await otto.getByRole("button", { name: "Submit request" }).click();
  await expect(otto).toHaveURL(/\/requests\/[\w-]+$/);
  const requestUrl = new URL(otto.url()).pathname;
  await expect(otto.getByText("Requested by Otto Oncall for Nina Next", { exact: false })).toBeVisible();

  await hana.goto("/approvals");
  const item = hana.getByRole("listitem").filter({ hasText: "Nina Next: operate on Handover Console" });
  await expect(item).toContainText("Filed by Otto Oncall for Nina Next");
  await item.getByRole("link", { name: /Nina Next: operate on Handover Console/ }).click();
  await hana.getByRole("button", { name: "Approve" }).click();
  await expect(hana.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(
    "Approved. The grant starts when the person it is for acknowledges it.",
  );
  const requestId = requestUrl.split("/").at(-1) ?? "";
  expect(await db.grant.count({ where: { requestId } })).toBe(0);

  await nina.goto(requestUrl);
  const panel = nina.getByRole("region", { name: "Acknowledge this request" });
  await expect(panel).toContainText("Otto Oncall asked for this access for you.");
  await panel.getByRole("button", { name: "Acknowledge" }).click();
  await expect(panel.getByRole("status")).toHaveText("Acknowledged. Your access is granted.");
  const grant = await db.grant.findFirstOrThrow({ where: { requestId }, include: { subject: true } });
  expect(grant.subject.name).toBe("Nina Next");
  await nina.reload();
  const timeline = nina.getByRole("list", { name: "Timeline" });
  await expect(timeline).toContainText("Submitted by Otto Oncall for Nina Next");
  await expect(timeline).toContainText("Acknowledged by Nina Next");
  await expect(panel).toContainText("You acknowledged it.");
  await expect(panel.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);

  for (const page of [otto, nina, hana]) await page.context().close();
});
