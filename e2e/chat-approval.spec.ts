/**
 * Approving from chat (issue 18): a request posts a Slack message (to the Slack stand-in,
 * which refuses anything Slack does not document), the approver follows the DM's Approve...
 * button on a phone, signs in, confirms with a passkey, and the message is edited in place to
 * show the approval and the grant. Tampered, expired and reused links are refused; a second
 * approver's stale button says the request is already decided.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { signDecisionLink } from "../lib/chat/decision-link";
import { db, disconnectDb } from "../lib/db";
import { appEnv, SLACK_CHANNEL, SLACK_PORT } from "./support/env";
import { registerPasskey } from "./support/passkeys";
import { signInAs } from "./support/sign-in";

type TInspect = {
  violations: string[];
  messages: Array<{ channel: string; ts: string; text: string; blocks: unknown[]; edits: number }>;
};
const inspect = async (): Promise<TInspect> =>
  (await (await fetch(`http://127.0.0.1:${SLACK_PORT}/__inspect`)).json()) as TInspect;
const textOf = (blocks: unknown[]): string => JSON.stringify(blocks);
const buttonUrl = (blocks: unknown[], label: string): string => {
  for (const block of blocks as Array<{ type: string; elements?: Array<{ text?: { text: string }; url?: string }> }>)
    for (const element of block.elements ?? []) if (element.text?.text === label && element.url) return element.url;
  throw new Error(`no ${label} button`);
};

const PHONE = { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true };

const personIn = async (browser: Browser, name: string, path: string, phone = false): Promise<Page> => {
  const context = await browser.newContext(phone ? PHONE : {});
  const page = await context.newPage();
  await signInAs(page, name, path);
  return page;
};

test.afterAll(disconnectDb);

test("a request's Slack message leads an approver on a phone to a one-tap passkey approval, and is edited to show it", async ({
  browser,
}) => {
  // Four browser contexts, two passkey ceremonies and a worker round trip per step: past Playwright's
  // default minute when the machine is shared (every check passed, closing the pages did not).
  test.setTimeout(120_000);
  // A resource of this test's own: one approval by chat-approvers (this journey's people only).
  const key = `chat-${randomUUID().slice(0, 8)}`;
  await db.resource.create({
    data: {
      key,
      name: `Chat DB ${key}`,
      environment: "production",
      permissions: ["read"],
      policies: {
        create: {
          name: "read",
          permissions: ["read"],
          requesterGroups: ["engineers"],
          approverGroups: ["chat-approvers"],
          approvalsRequired: 1,
          defaultDurationMinutes: 30,
          maxDurationMinutes: 60,
        },
      },
    },
  });

  // The approvers exist in the portal (they have signed in) and hold passkeys.
  const quinn = await personIn(browser, "Quinn Chat", "/passkeys");
  await registerPasskey(quinn, "Quinn's phone");
  const piaDesk = await personIn(browser, "Pia Phone", "/passkeys");
  await registerPasskey(piaDesk, "Pia's laptop");

  // Rhea asks.
  const rhea = await personIn(browser, "Rhea Requester", `/request/${key}`);
  await rhea.getByLabel("Duration (minutes)").fill("30");
  await rhea.getByLabel("Justification").fill("Read the invoices for the quarterly audit <!here>");
  await rhea.getByRole("button", { name: "Submit request" }).click();
  await expect(rhea).toHaveURL(/\/requests\/[\w-]+$/);
  const requestId = new URL(rhea.url()).pathname.split("/").pop() as string;

  // The worker posts: one message in the approvers' channel, one DM each to Pia and Quinn.
  let posted: TInspect["messages"] = [];
  await expect
    .poll(async () => {
      posted = (await inspect()).messages.filter((message) => textOf(message.blocks).includes(requestId));
      return posted.map((message) => message.channel).sort();
    })
    .toEqual([SLACK_CHANNEL, "D0PIA", "D0QUINN"].sort());
  const channelMessage = posted.find((message) => message.channel === SLACK_CHANNEL);
  expect(textOf(channelMessage?.blocks ?? [])).toContain("0 of 1");
  expect(textOf(channelMessage?.blocks ?? [])).toContain("&lt;!here&gt;");
  const piaApprove = buttonUrl(posted.find((m) => m.channel === "D0PIA")?.blocks ?? [], "Approve...");
  const quinnApprove = buttonUrl(posted.find((m) => m.channel === "D0QUINN")?.blocks ?? [], "Approve...");
  const appUrl = appEnv().APP_URL as string;
  expect(piaApprove.startsWith(`${appUrl}/requests/${requestId}?link=`)).toBe(true);

  // On Pia's phone: a tampered link, an expired one and Quinn's are refused.
  const piaPhone = await (await browser.newContext(PHONE)).newPage();
  await signInAs(piaPhone, "Pia Phone", "/");
  const path = (url: string) => url.slice(appUrl.length);
  await piaPhone.goto(path(piaApprove).replace(/.$/, (c) => (c === "A" ? "B" : "A")));
  await expect(piaPhone.getByRole("alert").filter({ hasText: "This link is not valid." })).toBeVisible();
  const piaUser = await db.user.findFirstOrThrow({ where: { email: "pia.phone@example.com" } });
  const expired = signDecisionLink({
    requestId,
    approverId: piaUser.id,
    decision: "APPROVE",
    now: new Date(Date.now() - 31 * 60_000),
    secret: appEnv().AUTH_SECRET,
  });
  await piaPhone.goto(`/requests/${requestId}?link=${expired}`);
  await expect(piaPhone.getByRole("alert").filter({ hasText: "This link has expired" })).toBeVisible();
  await piaPhone.goto(path(quinnApprove));
  await expect(piaPhone.getByRole("alert").filter({ hasText: "sent to another approver" })).toBeVisible();
  // Nothing was preselected, nothing decided: the page at 375 px shows the facts and the
  // decision first, both buttons large and within the first screen, nothing wider than the phone.
  await piaPhone.goto(`/requests/${requestId}`);
  await expect(piaPhone.getByTestId("approval-count")).toBeInViewport();
  const open = piaPhone.getByRole("region", { name: "Your decision" });
  for (const name of ["Approve", "Deny"]) {
    const box = await open.getByRole("button", { name }).boundingBox();
    expect(box).not.toBeNull();
    expect((box?.y ?? 999) + (box?.height ?? 0)).toBeLessThanOrEqual(667);
    expect(box?.height ?? 0).toBeGreaterThanOrEqual(48);
    expect(box?.width ?? 0).toBeGreaterThanOrEqual(140);
  }
  expect(await piaPhone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await piaPhone.context().close();

  // Pia's real tap: signed out on her phone, she signs in, lands on the decision with Approve
  // chosen, and the passkey prompt opens at once.
  const phone = await (await browser.newContext(PHONE)).newPage();
  await phone.goto(path(piaApprove));
  // The link survives the sign-in round trip.
  await expect(phone).toHaveURL(/\/signin\?.*callbackUrl=.*link%3D/);
  // Her passkey lives on this phone: register it first in this context, then follow the link.
  await signInAs(phone, "Pia Phone", "/passkeys");
  await registerPasskey(phone, "Pia's phone, really");
  await phone.goto(path(piaApprove));
  await expect(phone).toHaveURL(new RegExp(`/requests/${requestId}\\?decision=approve$`));
  const panel = phone.getByRole("region", { name: "Your decision" });
  await expect(panel.getByRole("status")).toHaveText(/Approved\. The grant is created\./);
  // The same link again: used.
  await phone.goto(path(piaApprove));
  await expect(phone.getByRole("alert").filter({ hasText: "used already" })).toBeVisible();

  // Quinn's stale button: already decided.
  await quinn.goto(path(quinnApprove));
  await expect(quinn.getByRole("alert").filter({ hasText: "already decided (approved)" })).toBeVisible();

  // The channel message was edited in place: the approval, then the active grant.
  await expect
    .poll(async () => {
      const now = (await inspect()).messages.find((message) => message.ts === channelMessage?.ts);
      return now ? textOf(now.blocks) : "";
    })
    .toMatch(/1 of 1 \(Pia Phone\).*Approved: the grant is active until/);
  const final = await inspect();
  expect(
    final.messages.filter((message) => message.channel === SLACK_CHANNEL && textOf(message.blocks).includes(requestId)),
  ).toHaveLength(1);
  expect(final.violations).toEqual([]);

  for (const page of [rhea, quinn, piaDesk, phone]) await page.context().close();
});
