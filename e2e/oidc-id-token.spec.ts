/**
 * ID-token attacks through a misbehaving issuer (e2e/support/hostile-issuer.ts): the IdP's token
 * response carries an ID token with the wrong audience, the wrong issuer, the wrong nonce, one
 * that expired, or one with `alg: none`. Each is signed with a key the issuer publishes, so only
 * the claim is wrong. Each is refused: the browser lands on the sign-in page with an error, no
 * session exists (no cookie, no Session row), and the refusal is in the audit log. The control,
 * the same token re-signed with no claim changed, signs in: the refusals are the claims'.
 */
import { expect, test, type Browser } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { IDP_URL } from "./support/env";
import { HOSTILE_CONTROL_PATH, ID_TOKEN_ATTACKS, type TIdTokenMode } from "./support/hostile-issuer";

test.describe.configure({ mode: "serial" });
test.afterAll(async () => {
  await disconnectDb();
});

const NAME = "Ivy Idtoken";
const EMAIL = "ivy@example.com";

/** What openid-client says for each attack, as the failed sign-in's audit reason carries it. */
const REASONS: Record<(typeof ID_TOKEN_ATTACKS)[number], RegExp> = {
  "wrong-audience": /aud mismatch/,
  "wrong-issuer": /unexpected iss value/,
  "wrong-nonce": /nonce mismatch/,
  expired: /JWT expired/,
  "alg-none": /unexpected JWT alg received/,
};

const misbehaveOnce = async (mode: TIdTokenMode) => {
  const response = await fetch(`${IDP_URL}${HOSTILE_CONTROL_PATH}`, { method: "POST", body: JSON.stringify({ mode }) });
  expect(response.status).toBe(204);
};

/** A fresh browser through the portal's sign-in and the IdP's page; where it ends up. */
const signInThrough = async (
  browser: Browser,
): Promise<{ url: string; session: unknown; close: () => Promise<void> }> => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByRole("button", { name: /sign in with/i }).click();
  await page.getByRole("button", { name: `Sign in as ${NAME}` }).click();
  await page.waitForURL((url) => !url.href.startsWith(IDP_URL) && !url.pathname.startsWith("/api/auth/callback"));
  const session = await (await page.request.get("/api/auth/session")).json();
  return { url: page.url(), session, close: () => context.close() };
};

const sessionsOf = async () => {
  const user = await db.user.findFirst({ where: { email: EMAIL }, select: { id: true } });
  return user ? db.session.count({ where: { userId: user.id } }) : 0;
};

for (const mode of ID_TOKEN_ATTACKS) {
  test(`an ID token with ${mode.replace("-", " ")} is refused: no session, and the refusal is audited`, async ({
    browser,
  }) => {
    const sessionsBefore = await sessionsOf();
    const lastSeq = (await db.auditEvent.aggregate({ _max: { seq: true } }))._max.seq ?? 0n;
    await misbehaveOnce(mode);
    const attempt = await signInThrough(browser);
    expect(attempt.url, mode).toMatch(/\/signin\?.*error=/);
    expect(attempt.session, mode).toEqual({});
    await attempt.close();
    expect(await sessionsOf(), `${mode}: a session was opened`).toBe(sessionsBefore);
    // A refusal before anyone is identified is counted, not chained one by one (ADR 0024): the
    // window's aggregate event names the reason and carries openid-client's message as its sample.
    await expect
      .poll(
        async () =>
          (
            await db.auditEvent.findMany({
              where: { seq: { gt: lastSeq }, action: "auth.sign_in.aggregate" },
              select: { outcome: true, details: true },
            })
          ).some((event) => REASONS[mode].test(JSON.stringify(event.details))),
        { message: `${mode}: the refusal is audited`, timeout: 30_000 },
      )
      .toBe(true);
  });
}

test("the control: the same ID token re-signed with the issuer's other key, no claim changed, signs in", async ({
  browser,
}) => {
  const sessionsBefore = await sessionsOf();
  await misbehaveOnce("resigned");
  const attempt = await signInThrough(browser);
  expect(attempt.session).toMatchObject({ sid: expect.any(String) });
  await attempt.close();
  expect(await sessionsOf()).toBe(sessionsBefore + 1);
});
