import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { createHistoricGrant } from "../lib/testing/fixtures";
import { parseCsvStrict } from "../lib/testing/csv";
import { signInAs } from "./support/sign-in";

test.afterAll(disconnectDb);

/** The spec's own grants, findable by a word no other spec uses. */
const seed = async (tag: string) => {
  const users = await db.user.findMany({
    where: { email: { in: ["alice@example.com", "bob@example.com", "carol@example.com"] } },
  });
  const byEmail = (email: string) => {
    const user = users.find((candidate) => candidate.email === email);
    if (!user) throw new Error(`demo user ${email} has not signed in yet`);
    return user;
  };
  const prod = await db.resource.findUniqueOrThrow({ where: { key: "prod-postgres" }, include: { policies: true } });
  const staging = await db.resource.findUniqueOrThrow({
    where: { key: "staging-postgres" },
    include: { policies: true },
  });
  const carol = byEmail("carol@example.com");
  const hourAgo = new Date(Date.now() - 3_600_000);
  await createHistoricGrant({
    subjectId: byEmail("alice@example.com").id,
    resourceId: prod.id,
    policyId: prod.policies[0]!.id,
    approverIds: [carol.id],
    startsAt: hourAgo,
    minutes: 30,
    justification: `Rotate replica credentials ${tag}`,
    ticket: "INC-7001",
  });
  await createHistoricGrant({
    subjectId: byEmail("bob@example.com").id,
    resourceId: prod.id,
    policyId: prod.policies[0]!.id,
    approverIds: [carol.id],
    startsAt: hourAgo,
    minutes: 120,
    justification: `=cmd| investigate ${tag}`,
    ticket: "INC-7002",
  });
  await createHistoricGrant({
    subjectId: byEmail("bob@example.com").id,
    resourceId: staging.id,
    policyId: staging.policies[0]!.id,
    startsAt: hourAgo,
    minutes: 60,
    justification: `Staging load test ${tag}`,
  });
};

test("a security reviewer filters the grant history, exports it as CSV and verifies the audit chain", async ({
  page,
  browser,
}) => {
  // Everyone the spec needs has signed in once (users come from the IdP at first sign-in).
  for (const name of ["Alice Engineer", "Bob Approver", "Carol Approver"]) {
    const context = await browser.newContext();
    await signInAs(await context.newPage(), name);
    await context.close();
  }
  const tag = `e2eaudit${randomBytes(4).toString("hex")}`;
  await seed(tag);

  await signInAs(page, "Sam Security", "/security");
  await expect(page.getByRole("heading", { name: "Grant history" })).toBeVisible();
  const filters = page.getByRole("form", { name: "Filter the grant history" });
  await filters.getByLabel("Search justifications").fill(tag);
  await filters.getByLabel("Resource").selectOption("prod-postgres");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(new RegExp(`q=${tag}`));

  const table = page.getByRole("table", { name: "Grants matching the filters, newest first" });
  const rows = table.locator("tbody tr");
  await expect(rows).toHaveCount(2);
  await expect(table).toContainText("Rotate replica credentials");
  await expect(table).not.toContainText("Staging load test");
  const shownEmails = (await rows.locator("td:first-child span").allTextContents()).sort();

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "CSV", exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^grant-history-.*\.csv$/);
  const csv = parseCsvStrict(await readFile((await download.path()) as string, "utf8"));
  const [header, ...body] = csv;
  expect(header).toContain("grant_id");
  expect(body).toHaveLength(2);
  const column = (name: string) => header!.indexOf(name);
  expect(body.map((row) => row[column("subject_email")]).sort()).toEqual(shownEmails);
  expect(body.every((row) => row[column("resource")] === "prod-postgres")).toBe(true);
  // The formula a requester typed reaches the spreadsheet as text.
  expect(body.map((row) => row[column("justification")])).toContain(`'=cmd| investigate ${tag}`);

  await page.getByRole("button", { name: "Verify the audit chain" }).click();
  await expect(page.getByTestId("verify-result")).toContainText("Chain intact", { timeout: 60_000 });

  await page.goto("/security/events");
  await expect(page.getByRole("table")).toContainText("history.export");
  await expect(page.getByRole("table")).toContainText("audit.verify");
});

test("engineers and approvers get 403 for the history, its export and the charts", async ({ page }) => {
  for (const name of ["Alice Engineer", "Bob Approver"]) {
    await page.context().clearCookies();
    await signInAs(page, name);
    for (const path of ["/security", "/security/charts"]) {
      await page.goto(path);
      await expect(page.getByRole("heading", { name: "You do not have access to this page" }), path).toBeVisible();
    }
    const response = await page.request.get("/security/export?format=csv");
    expect(response.status()).toBe(403);
    expect(await response.text()).not.toContain("grant_id");
  }
});

test("Verify reports a chain edited in PostgreSQL, naming the edited event", async ({ page }) => {
  test.setTimeout(180_000);
  await signInAs(page, "Sam Security");
  await page.goto("/security");
  const { seq, reason } = await db.auditEvent.findFirstOrThrow({
    orderBy: { seq: "desc" },
    select: { seq: true, reason: true },
  });
  // As an attacker with the database would: past any trigger (replica mode), no hash recomputed.
  const edit = (value: string | null) =>
    db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL session_replication_role = replica");
      await tx.$executeRaw`UPDATE "AuditEvent" SET reason = ${value} WHERE seq = ${seq}`;
    });
  await edit(`${reason ?? ""} (edited)`);
  try {
    await page.getByRole("button", { name: "Verify the audit chain" }).click();
    await expect(page.getByTestId("verify-result")).toContainText(
      `Chain BROKEN: 1 break, the first at event #${seq}.`,
      {
        timeout: 120_000,
      },
    );
  } finally {
    await edit(reason);
  }
  await page.reload();
  await page.getByRole("button", { name: "Verify the audit chain" }).click();
  await expect(page.getByTestId("verify-result")).toContainText("Chain intact", { timeout: 120_000 });
});
