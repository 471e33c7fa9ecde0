import { expect, test } from "@playwright/test";
import { scheduleGrantLifecycle } from "../lib/access/lifecycle";
import { db, disconnectDb } from "../lib/db";
import { signInAs } from "./support/sign-in";

test.afterAll(disconnectDb);

test("an engineer's grant ends on its own: the countdown runs out, the worker ends it, the engineer is told", async ({
  page,
}) => {
  await signInAs(page, "Frank Fleeting");
  const frank = await db.user.findFirstOrThrow({ where: { email: "frank@example.com" } });
  const resource = await db.resource.findUniqueOrThrow({ where: { key: "prod-postgres" } });
  // Seeded like an approved request's grant would be: in one transaction with its lifecycle jobs.
  await db.$transaction(async (tx) => {
    const grant = await tx.grant.create({
      data: {
        subjectId: frank.id,
        resourceId: resource.id,
        permissions: ["read"],
        startsAt: new Date(),
        expiresAt: new Date(Date.now() + 8_000),
      },
    });
    await scheduleGrantLifecycle(tx, grant);
  });

  await page.reload();
  const active = page.getByRole("list", { name: "Active grants" });
  await expect(active).toContainText("read on Production PostgreSQL");
  await expect(active.getByRole("timer")).toHaveText(/^00:0\d left$/);
  await expect(active.getByRole("timer")).toHaveText("ended", { timeout: 15_000 });

  // Nothing in the browser ended it: the server computes validity, the worker runs the side effects.
  await expect(async () => {
    await page.goto("/notifications");
    await expect(page.getByText("Access ended: read on Production PostgreSQL")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByText("Access started: read on Production PostgreSQL")).toBeVisible();

  await page.goto("/");
  await expect(page.getByRole("list", { name: "Active grants" })).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Ended grants" })).toContainText("read on Production PostgreSQL");
});
