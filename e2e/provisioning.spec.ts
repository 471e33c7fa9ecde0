import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { createPostgresTarget, type TPostgresTarget } from "../lib/testing/postgres-target";
import { registerPasskey } from "./support/passkeys";
import { signInAs } from "./support/sign-in";

const CONNECTOR = "e2e target";
let target: TPostgresTarget;

test.beforeAll(async () => {
  target = await createPostgresTarget();
});
test.afterAll(async () => {
  // The other journeys use prod-postgres too: the connector goes with this journey.
  await db.connector.deleteMany({ where: { name: CONNECTOR } });
  await target?.drop();
  await disconnectDb();
});

const personIn = async (browser: Browser, name: string, path: string): Promise<Page> => {
  const page = await (await browser.newContext()).newPage();
  await signInAs(page, name, path);
  return page;
};

const psql = (url: string, sql: string) =>
  promisify(execFile)("/usr/bin/psql", [url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], { timeout: 10_000 });

test("an admin connects prod-postgres to a PostgreSQL target; the engineer's approved grant is a real login that dies with the grant", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  // The administrator attaches the connector, maps read and write, and tests the connection.
  const ada = await personIn(browser, "Ada Admin", "/admin/resources/prod-postgres");
  await ada.getByRole("link", { name: "Provisioning" }).click();
  const attach = ada.getByRole("form", { name: "Attach a connector" });
  await attach.getByLabel("Kind").selectOption("postgres");
  await attach.getByLabel("Name").fill(CONNECTOR);
  await attach
    .getByLabel("Settings (JSON)")
    .fill(JSON.stringify({ adminUrl: target.adminUrl, loginRolePattern: target.loginRolePattern }));
  await attach.getByLabel("Targets for read").fill(target.readRole);
  await attach.getByLabel("Targets for write").fill(target.writeRole);
  await attach.getByLabel("Admin credential").fill(target.adminPassword);
  await attach.getByRole("button", { name: "Attach connector" }).click();
  await expect(attach.getByRole("status")).toHaveText("Connector attached.");
  const card = ada.getByTestId(`connector-${CONNECTOR}`);
  await expect(card).toContainText(`read → ${target.readRole}; write → ${target.writeRole}`);
  await expect(card).toContainText("credential stored");
  await expect(card).not.toContainText(target.adminPassword);
  await card.getByRole("button", { name: "Test connection" }).click();
  await expect(card.getByRole("status").first()).toContainText("Connection works", { timeout: 15_000 });

  // The engineer asks for read; an approver approves with a passkey.
  const pia = await personIn(browser, "Pia Provisioned", "/request/prod-postgres");
  await pia.getByRole("radio", { name: /^read/ }).check();
  await pia.getByLabel("Duration (minutes)").fill("30");
  await pia.getByLabel("Justification").fill("Check the orders of customer 4211 for the incident");
  await pia.getByRole("button", { name: "Submit request" }).click();
  await expect(pia).toHaveURL(/\/requests\/[\w-]+$/);
  const requestUrl = new URL(pia.url()).pathname;
  const dmitri = await personIn(browser, "Dmitri Dbapprover", "/passkeys");
  await registerPasskey(dmitri, "Dmitri's laptop");
  await dmitri.goto(requestUrl);
  await dmitri.getByRole("button", { name: "Approve" }).click();
  await expect(dmitri.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(/Approved/);

  // The worker provisions the login; the engineer sees the credential once on the grant page.
  await pia.goto("/");
  const details = pia.getByRole("link", { name: "Details and credentials of read on Production PostgreSQL" });
  await pia.goto((await details.getAttribute("href")) ?? "/");
  await expect(pia).toHaveURL(/\/grants\/[\w-]+$/);
  const reveal = pia.getByRole("button", { name: "Show PostgreSQL credential (once)" });
  await expect(async () => {
    await pia.reload();
    await expect(reveal).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(pia.getByRole("list", { name: "Provisioning timeline" })).toContainText(
    /role \S+ created \d+ ms after start/,
  );
  await reveal.click();
  const credential = pia.getByTestId("credential");
  await expect(credential).toContainText("copy it now");
  const command = (await credential.getByLabel("psql", { exact: true }).textContent()) ?? "";
  const user = (await credential.getByLabel("Username", { exact: true }).textContent()) ?? "";
  const password = (await credential.getByLabel("Password", { exact: true }).textContent()) ?? "";
  const url = /^psql "(.*)"$/.exec(command)?.[1] ?? "";
  expect(url).toMatch(/^postgresql:\/\//);

  // A query with the real client works; a write is refused for read.
  expect((await psql(url, "select count(*) from items")).stdout.trim()).toBe("2");
  await expect(psql(url, "insert into items (name) values ('no')")).rejects.toThrow(/permission denied/);
  // Shown once: the portal no longer has it.
  await pia.reload();
  await expect(reveal).toHaveCount(0);
  await expect(pia.getByText(/Credential shown .*; not kept\./)).toBeVisible();

  // An open session runs a query loop while the engineer ends the grant.
  const session = await target.login(user, password);
  let sessionError = "";
  const loop = (async () => {
    for (;;) {
      try {
        await session.query("select count(*) from items");
      } catch (error) {
        sessionError = String(error);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  await pia.goto("/");
  await pia.getByRole("button", { name: "End read on Production PostgreSQL now" }).click();
  await pia.getByRole("alertdialog").getByRole("button", { name: "Yes, end it now" }).click();
  await expect(pia.getByRole("list", { name: "Active grants" })).toHaveCount(0, { timeout: 10_000 });
  await loop;
  // The backend was terminated: pg reports it as such, or as a connection that is no longer queryable.
  expect(sessionError).toMatch(/terminat|connection error/i);
  await session.end().catch(() => undefined);
  // Refused however far the end has gone: NOLOGIN comes first, the drop of the role after it
  // (docs/decisions/0050-postgres-connector-ends-access-first.md).
  await expect(psql(url, "select 1")).rejects.toThrow(
    /does not exist|password authentication failed|is not permitted to log in/,
  );
  await pia.goBack();
  await expect(async () => {
    await pia.reload();
    await expect(pia.getByRole("list", { name: "Provisioning timeline" })).toContainText("sessions terminated: 1", {
      timeout: 1_000,
    });
  }).toPass({ timeout: 20_000 });

  for (const page of [ada, pia, dmitri]) await page.context().close();
});
