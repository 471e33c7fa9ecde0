import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { createServiceClient } from "../lib/services";
import { recordUsageSignal } from "../lib/signals";
import { createHistoricGrant } from "../lib/testing/fixtures";
import { signInAs } from "./support/sign-in";

test.afterAll(disconnectDb);

test("a security reviewer sees a flagged usage signal under Security → Signals, with its chart, and on the grant's timeline", async ({
  page,
  browser,
}) => {
  // Alice exists once she has signed in (people come from the IdP at first sign-in).
  const context = await browser.newContext();
  await signInAs(await context.newPage(), "Alice Engineer");
  await context.close();
  const alice = await db.user.findFirstOrThrow({ where: { email: "alice@example.com" } });
  const staging = await db.resource.findUniqueOrThrow({
    where: { key: "staging-postgres" },
    include: { policies: true },
  });
  await createHistoricGrant({
    subjectId: alice.id,
    resourceId: staging.id,
    policyId: staging.policies[0]!.id,
    startsAt: new Date(Date.now() - 60_000),
    minutes: 60,
  });
  // The metric is the spec's own, so another run's reports are not part of this baseline.
  const metric = `rows_read_${randomBytes(3).toString("hex")}`;
  const client = await createServiceClient({
    actor: { kind: "system", name: "e2e" },
    input: { name: `e2e-signals-${randomBytes(3).toString("hex")}`, scopes: ["signals:write"], resourceKeys: [] },
  });
  const report = (value: number) =>
    recordUsageSignal({
      client: { id: client.clientId, resourceKeys: [] },
      input: { subject: "alice@example.com", resource: "staging-postgres", metric, value, window: "PT1M" },
      audit: { ip: null, userAgent: null, requestId: null },
    });
  for (const value of [100, 110, 90, 105, 95, 100, 120, 80, 100, 102]) await report(value);
  const outlier = await report(50_000);
  expect(outlier.flagged).toBe(true);

  await signInAs(page, "Sam Security", "/security");
  await page.getByRole("navigation", { name: "Security area" }).getByRole("link", { name: "Signals" }).click();
  await expect(page.getByRole("heading", { name: "Signals", level: 1 })).toBeVisible();
  const row = page
    .getByRole("table", { name: "Flagged signals" })
    .getByRole("row")
    .filter({ hasText: `${metric} at 50000/min is far above this person's usual 100/min` });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Alice Engineer");
  await expect(row).toContainText("alerted");
  await expect(page.getByRole("figure", { name: new RegExp(`^${metric} per minute: Alice Engineer`) })).toBeVisible();

  await row.getByRole("link", { name: "grant" }).click();
  // The report names Alice's live grant on the resource (another spec's, if that one ends later).
  await expect(page).toHaveURL(/\/grants\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("list", { name: "Provisioning timeline" })).toContainText(
    `Usage signal flagged: ${metric} at 50000/min`,
  );
});
