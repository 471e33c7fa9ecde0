import { expect, test, type Browser, type Page } from "@playwright/test";
import { registerPasskey } from "./support/passkeys";
import { signInAs } from "./support/sign-in";

const personIn = async (browser: Browser, name: string, path: string): Promise<Page> => {
  const page = await (await browser.newContext()).newPage();
  await signInAs(page, name, path);
  return page;
};

test("an on-call engineer takes break-glass access with a passkey, and a security reviewer signs it off", async ({
  browser,
}) => {
  // The reviewer has signed in before (a person the IdP knows but the portal has never seen gets no notice).
  const sam = await personIn(browser, "Sam Security", "/security");
  const olga = await personIn(browser, "Olga Outage", "/passkeys");
  await registerPasskey(olga, "Olga's laptop");

  await olga.goto("/request/prod-postgres");
  const panel = olga.getByRole("region", { name: "Break-glass: admin" });
  await expect(panel).toContainText("for at most 30 minutes");
  // Longer than the policy's break-glass maximum: refused after the passkey, nothing granted.
  await panel.getByLabel("Length of emergency access (minutes)").fill("45");
  await panel.getByLabel("What is the emergency?").fill("Primary is down, failing over by hand for INC-9001");
  await panel.getByRole("button", { name: "Take emergency access now" }).click();
  await expect(panel.getByRole("alert")).toContainText("Check the highlighted fields.");
  await expect(panel.getByText("Break-glass lasts at most 30 minutes under this policy.")).toBeVisible();

  await panel.getByLabel("Length of emergency access (minutes)").fill("20");
  await panel.getByRole("button", { name: "Take emergency access now" }).click();
  await expect(olga).toHaveURL(/\/requests\/[\w-]+$/);
  const requestUrl = new URL(olga.url()).pathname;
  await expect(olga.getByText("break-glass", { exact: true })).toBeVisible();
  await expect(olga.getByTestId("break-glass-review")).toHaveText("Awaiting post-incident review by security");
  await expect(olga.getByRole("list", { name: "Timeline" })).toContainText(
    "Taken by break-glass, confirmed with a passkey; security was alerted",
  );
  await expect(olga.getByRole("region", { name: "Risk" })).toContainText("production write/admin");
  await olga.goto("/");
  await expect(olga.getByRole("list", { name: "Active grants" })).toContainText("admin on Production PostgreSQL");

  // Security heard of it at once, and finds it in the Security area.
  await sam.goto("/notifications");
  await expect(sam.getByText("Break-glass: Olga Outage took admin on prod-postgres for 20 min")).toBeVisible();
  await sam.goto("/security");
  await sam.getByRole("link", { name: "Break-glass review" }).click();
  await expect(sam).toHaveURL(/\/security\/break-glass$/);
  const item = sam.getByRole("listitem", { name: "Olga Outage: admin on Production PostgreSQL" });
  await expect(item).toContainText("Primary is down, failing over by hand for INC-9001");
  await item.getByLabel("Review comment").fill("ok");
  await item.getByRole("button", { name: "Sign off Olga Outage: admin on Production PostgreSQL" }).click();
  await expect(item.getByRole("status")).toHaveText("Say what you checked, in at least 10 characters.");
  await item.getByLabel("Review comment").fill("Matched the incident timeline of INC-9001; session log reviewed.");
  await item.getByRole("button", { name: "Sign off Olga Outage: admin on Production PostgreSQL" }).click();
  // Signed off: off the list (other suites' break-glass grants may still be on it).
  await expect(item).toHaveCount(0);

  // The engineer's request now shows the review; the engineer cannot open the review area.
  await olga.goto(requestUrl);
  await expect(olga.getByTestId("break-glass-review")).toContainText("Reviewed by security");
  await expect(olga.getByRole("list", { name: "Timeline" })).toContainText(
    "Break-glass reviewed by Sam Security: Matched the incident timeline",
  );
  await olga.goto("/security/break-glass");
  await expect(olga.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();

  for (const page of [olga, sam]) await page.context().close();
});
