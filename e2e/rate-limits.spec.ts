import { expect, type Page, test } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { takeRateLimit } from "../lib/security/rate-limit";
import { IDP_URL, SIGN_IN_ACCOUNT_LIMIT, SIGN_IN_WINDOW_SECONDS } from "./support/env";

test.afterAll(disconnectDb);

/** Through the portal's button and the IdP's page, as far as the portal's answer. */
const trySignIn = async (page: Page, name: string) => {
  await page.goto("/");
  await page.getByRole("button", { name: /sign in with/i }).click();
  await page.getByRole("button", { name: `Sign in as ${name}` }).click();
  await expect(page).toHaveURL(/\/signin\?/);
  return {
    url: page.url().replace(/callbackUrl=[^&]*&?/, ""),
    alert: await page.getByRole("main").getByRole("alert").innerText(),
  };
};

test("a locked-out account and a deactivated one get the same answer at sign-in, and a spoofed X-Forwarded-For is not believed", async ({
  browser,
}) => {
  // Dora exists and is deactivated before she ever signs in.
  await db.user.upsert({
    where: { issuer_subject: { issuer: IDP_URL, subject: "e2e-dora" } },
    create: {
      issuer: IDP_URL,
      subject: "e2e-dora",
      email: "dora@example.com",
      name: "Dora Deactivated",
      groups: ["engineers"],
      deactivatedAt: new Date(),
    },
    update: { deactivatedAt: new Date() },
  });
  // Lena has used up her sign-ins of this window (as the callback counts them).
  const lena = {
    flow: "sign_in.account",
    keys: [
      {
        scope: "account",
        id: `${IDP_URL}\ne2e-lena`,
        rule: { limit: SIGN_IN_ACCOUNT_LIMIT, windowMs: SIGN_IN_WINDOW_SECONDS * 1000 },
      },
    ],
  };
  for (let i = 0; i < SIGN_IN_ACCOUNT_LIMIT; i += 1) await takeRateLimit(lena);

  const doraContext = await browser.newContext();
  const dora = await trySignIn(await doraContext.newPage(), "Dora Deactivated");
  const lenaContext = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": "203.0.113.99" } });
  const lenaPage = await lenaContext.newPage();
  const locked = await trySignIn(lenaPage, "Lena Lockout");

  expect(locked).toEqual(dora);
  expect(locked.url).toMatch(/\/signin\?error=AccessDenied$/);
  expect(locked.alert).toContain("Sign-in was refused.");
  await expect(lenaPage.getByTestId("signed-in-as")).toHaveCount(0);

  // The lockout is audited once, with the address the connection came from.
  const refusal = await db.auditEvent.findFirstOrThrow({
    where: {
      action: "ratelimit.refused",
      targetId: "sign_in.account",
      details: { path: ["subject"], equals: "e2e-lena" },
    },
  });
  expect(refusal.ip).toBe("127.0.0.1");
  expect(await db.user.count({ where: { issuer: IDP_URL, subject: "e2e-lena" } })).toBe(0);
  await doraContext.close();
  await lenaContext.close();
});

test("the sign-in limit is counted and enforced through /api/auth: the last allowed sign-in works, the next is refused", async ({
  browser,
}) => {
  // Rita has all but one of this window's sign-ins used up; the rest go through the real callback.
  const rita = {
    flow: "sign_in.account",
    keys: [
      {
        scope: "account",
        id: `${IDP_URL}\ne2e-rita`,
        rule: { limit: SIGN_IN_ACCOUNT_LIMIT, windowMs: SIGN_IN_WINDOW_SECONDS * 1000 },
      },
    ],
  };
  for (let i = 0; i < SIGN_IN_ACCOUNT_LIMIT - 1; i += 1) await takeRateLimit(rita);

  const lastAllowed = await browser.newContext();
  const allowedPage = await lastAllowed.newPage();
  await allowedPage.goto("/");
  await allowedPage.getByRole("button", { name: /sign in with/i }).click();
  await allowedPage.getByRole("button", { name: "Sign in as Rita Ratelimit" }).click();
  await expect(allowedPage.getByTestId("signed-in-as")).toContainText("Rita Ratelimit");
  const user = await db.user.findFirstOrThrow({ where: { issuer: IDP_URL, subject: "e2e-rita" } });
  const sessions = await db.session.count({ where: { userId: user.id } });

  const refusedContext = await browser.newContext();
  const refusedPage = await refusedContext.newPage();
  const refused = await trySignIn(refusedPage, "Rita Ratelimit");
  expect(refused.url).toMatch(/\/signin\?error=AccessDenied$/);
  expect(refused.alert).toContain("Sign-in was refused.");
  expect(await (await refusedPage.request.get("/api/auth/session")).json()).toEqual({});
  expect(await db.session.count({ where: { userId: user.id } }), "no session for the refused sign-in").toBe(sessions);
  await expect
    .poll(() =>
      db.auditEvent.count({
        where: {
          action: "ratelimit.refused",
          targetId: "sign_in.account",
          details: { path: ["subject"], equals: "e2e-rita" },
        },
      }),
    )
    .toBe(1);
  await lastAllowed.close();
  await refusedContext.close();
});
