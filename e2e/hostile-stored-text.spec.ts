/**
 * Stored text renders inert everywhere it is shown: a justification typed into the request
 * form, a decision comment, a resource's name and description made by an administrator, and a
 * person's name from the IdP, each carrying script, event-handler, `javascript:` URL, markdown
 * and header-injection payloads, are shown on every page that displays them as the text they
 * are. Checked in the page: no script ran (`window.__pwned` never set, no dialog), no element
 * with an event-handler attribute or a `javascript:` link exists, and the payload is visible
 * literally. (The Content-Security-Policy would block inline scripts anyway; the DOM checks
 * make sure the markup is not there at all.) E-mail and chat copies: lib/notify/render.test.ts.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { parseCsvStrict } from "../lib/testing/csv";
import { createHistoricGrant } from "../lib/testing/fixtures";
import { HOSTILE_NAME } from "./support/env";
import { callServerAction, formData, serverAction } from "./support/server-actions";
import { signInAs } from "./support/sign-in";

test.afterAll(async () => {
  await disconnectDb();
});

const tag = Date.now().toString(36);
const SCRIPT = "<script>window.__pwned=1</script>";
const PAYLOAD = `${SCRIPT} <img src=x onerror="window.__pwned=1"> [click](javascript:window.__pwned=1) **bold** <b>b</b> =cmd|' /C calc'!A0 <!channel> <http://evil.example|x> \r\nBcc: victim@example.com ${tag}`;

/** A page that records any script the payloads could run, and fails on a dialog. */
const watchedPage = async (browser: Browser): Promise<{ page: Page; dialogs: string[] }> => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { page, dialogs };
};

const expectInert = async (page: Page, dialogs: string[], path: string, literal: string | null) => {
  const response = await page.goto(path);
  expect(response?.status(), `${path} answers`).toBe(200);
  const main = page.locator("main").first();
  await expect(main).toBeVisible();
  if (literal !== null) await expect(main, `${path} shows the payload as text`).toContainText(literal);
  const findings = await page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
    handlers: [...document.querySelectorAll("*")]
      .filter((element) => [...element.attributes].some((attribute) => /^on/i.test(attribute.name)))
      .map((element) => element.outerHTML.slice(0, 120)),
    // React's own placeholder on forms whose action is a client function is not an injection.
    javascriptLinks: [...document.querySelectorAll("a[href], [src], form[action]")]
      .map(
        (element) =>
          element.getAttribute("href") ?? element.getAttribute("src") ?? element.getAttribute("action") ?? "",
      )
      .filter((url) => /^\s*javascript:/i.test(url) && !url.includes("React form unexpectedly submitted")),
    injectedImages: document.querySelectorAll('img[src="x"]').length,
    boldTags: [...document.querySelectorAll("main b")].filter((element) => element.textContent === "b").length,
  }));
  expect(findings, `${path}: payload rendered as markup`).toEqual({
    pwned: null,
    handlers: [],
    javascriptLinks: [],
    injectedImages: 0,
    boldTags: 0,
  });
  expect(dialogs, `${path}: a dialog opened`).toEqual([]);
};

test("a hostile justification, comment, resource name and person's name render as text on every page", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  // The person with the hostile name asks for access through the real form action.
  const mallory = await watchedPage(browser);
  await signInAs(mallory.page, HOSTILE_NAME);
  const staging = await db.resource.findUniqueOrThrow({
    where: { key: "staging-postgres" },
    include: { policies: true },
  });
  const policy = staging.policies[0];
  if (!policy) throw new Error("staging-postgres has no policy");
  const asked = await callServerAction(
    mallory.page.request,
    serverAction("app/(portal)/request/[resourceKey]/actions.ts#requestAccessAction"),
    [
      null,
      formData({
        policyId: policy.id,
        permissions: "read",
        durationMinutes: String(policy.defaultDurationMinutes),
        justification: PAYLOAD,
      }),
    ],
  );
  expect(asked.redirect, asked.body.slice(0, 300)).toMatch(/^\/requests\//);
  // x-action-redirect is "<path>;<push|replace>".
  const requestId = (asked.redirect ?? "").split(";")[0]?.split("/").pop() ?? "";
  const malloryRow = await db.user.findFirstOrThrow({ where: { email: "mallory@example.com" } });

  // A decided request of hers, with a hostile denial comment (decisions need a passkey; the
  // stored row is what the pages render).
  const approver = await watchedPage(browser);
  await signInAs(approver.page, "Bob Approver");
  const bob = await db.user.findFirstOrThrow({ where: { email: "bob@example.com" } });
  const past = await createHistoricGrant({
    subjectId: malloryRow.id,
    resourceId: staging.id,
    policyId: policy.id,
    approverIds: [],
    startsAt: new Date(Date.now() - 3_600_000),
    minutes: 30,
    justification: PAYLOAD,
    ticket: '=HYPERLINK("http://evil.example")',
  });
  await db.approval.create({
    data: { requestId: past.request.id, approverId: bob.id, decision: "APPROVE", comment: PAYLOAD },
  });

  // An administrator names a resource with the payload.
  const admin = await watchedPage(browser);
  await signInAs(admin.page, "Ada Admin");
  const key = `hostile-${tag}`;
  const created = await callServerAction(
    admin.page.request,
    serverAction("app/(portal)/admin/resources/actions.ts#createResourceAction"),
    [
      null,
      formData({
        key,
        name: `${SCRIPT} <img src=x onerror="window.__pwned=1">`,
        description: PAYLOAD,
        environment: "staging",
        permissions: "read",
      }),
    ],
  );
  expect(created.redirect ?? created.body.slice(0, 300)).toContain(`/admin/resources/${key}`);

  await expectInert(mallory.page, mallory.dialogs, `/requests/${requestId}`, SCRIPT);
  await expectInert(mallory.page, mallory.dialogs, `/requests/${past.request.id}`, SCRIPT);
  await expectInert(mallory.page, mallory.dialogs, "/", null);
  await expectInert(mallory.page, mallory.dialogs, "/notifications", null);

  await expectInert(approver.page, approver.dialogs, "/approvals", "Mallory");
  await expectInert(approver.page, approver.dialogs, `/requests/${requestId}`, SCRIPT);

  const reviewer = await watchedPage(browser);
  await signInAs(reviewer.page, "Sam Security");
  await expectInert(reviewer.page, reviewer.dialogs, `/security?q=${encodeURIComponent(tag)}`, SCRIPT);
  await expectInert(
    reviewer.page,
    reviewer.dialogs,
    `/security?person=${encodeURIComponent("mallory@example.com")}`,
    "Mallory",
  );
  await expectInert(reviewer.page, reviewer.dialogs, "/security/events", null);
  await expectInert(reviewer.page, reviewer.dialogs, `/security/people/${malloryRow.id}`, "Mallory");
  // The CSV export: no cell starts a formula (the ticket and the justification both tried).
  const csv = await reviewer.page.request.get(`/security/export?format=csv&q=${encodeURIComponent(tag)}`);
  expect(csv.status()).toBe(200);
  // Parsed as a spreadsheet reads it (quoted cells may hold the payload's CR LF), every cell checked.
  const [header, ...rows] = parseCsvStrict(await csv.text());
  expect(rows.length, "the export holds Mallory's grants").toBeGreaterThan(0);
  const cells = [header ?? [], ...rows].flat();
  for (const row of rows) expect(row, "a row of the header's width").toHaveLength(header?.length ?? 0);
  for (const cell of cells) expect(cell, "a CSV cell starts a formula").not.toMatch(/^[=+\-@\t\r]/);
  const column = (name: string) => rows.map((row) => row[header?.indexOf(name) ?? -1]);
  expect(column("ticket")).toContain(`'=HYPERLINK("http://evil.example")`);
  expect(column("justification")).toContain(PAYLOAD);

  await expectInert(admin.page, admin.dialogs, "/admin", "Mallory");
  await expectInert(admin.page, admin.dialogs, "/admin/resources", SCRIPT);
  await expectInert(admin.page, admin.dialogs, `/admin/resources/${key}`, SCRIPT);
  await expectInert(admin.page, admin.dialogs, "/request", null);
});
