/**
 * Tampered credentials at the portal's door: a next-auth session cookie with a flipped bit,
 * truncated, or spliced from another person's session; and the OIDC callback reached with a
 * forged or tampered `state` or `code`. Each is refused cleanly: the pages send the visitor to
 * sign in, the session endpoint says nobody, a server action refuses, and nothing answers 500.
 * (Replay after sign-out: e2e/sessions.spec.ts. Service tokens: api/*.integration.test.ts.)
 */
import { expect, test, type Browser, type BrowserContext, type Cookie } from "@playwright/test";
import { APP_URL, IDP_URL } from "./support/env";
import { callServerAction, serverAction } from "./support/server-actions";
import { signInAs } from "./support/sign-in";

const sessionCookie = async (context: BrowserContext): Promise<Cookie> => {
  const cookie = (await context.cookies()).find((candidate) => candidate.name.includes("session-token"));
  if (!cookie) throw new Error("no session cookie");
  return cookie;
};

const signedInCookie = async (browser: Browser, name: string): Promise<Cookie> => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, name);
  const cookie = await sessionCookie(context);
  await context.close();
  return cookie;
};

/** Flips one bit of the base64url character at `index`. */
const flip = (value: string, index: number): string => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const position = alphabet.indexOf(value[index] ?? "A");
  const flipped = alphabet[(position ^ 1) & 63] ?? "A";
  return `${value.slice(0, index)}${flipped}${value.slice(index + 1)}`;
};

test("a tampered session cookie (bit flip, truncated, spliced from another session) signs nobody in, and nothing answers 500", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const hugo = await signedInCookie(browser, "Hugo Hostile");
  const alice = await signedInCookie(browser, "Alice Engineer");
  const hugoParts = hugo.value.split(".");
  const aliceParts = alice.value.split(".");
  // next-auth's cookie is a JWE in compact form: header.encryptedKey.iv.ciphertext.tag.
  expect(hugoParts).toHaveLength(5);
  const splice = (index: number) => hugoParts.map((part, i) => (i === index ? aliceParts[index] : part)).join(".");
  const variants: Array<[string, string]> = [
    [
      "a bit flipped in the ciphertext",
      (() => {
        const parts = [...hugoParts];
        parts[3] = flip(parts[3] ?? "", Math.floor((parts[3] ?? "").length / 2));
        return parts.join(".");
      })(),
    ],
    [
      "a bit flipped in the tag",
      (() => {
        const parts = [...hugoParts];
        parts[4] = flip(parts[4] ?? "", 0);
        return parts.join(".");
      })(),
    ],
    ["a bit flipped in the header", flip(hugo.value, 3)],
    ["truncated by half", hugo.value.slice(0, Math.floor(hugo.value.length / 2))],
    ["truncated by one character", hugo.value.slice(0, -1)],
    ["another session's ciphertext spliced in", splice(3)],
    ["another session's iv spliced in", splice(2)],
    ["another session's tag spliced in", splice(4)],
    [
      "the two halves of two sessions",
      `${hugo.value.slice(0, Math.floor(hugo.value.length / 2))}${alice.value.slice(Math.floor(alice.value.length / 2))}`,
    ],
    ["empty", ""],
    ["garbage", "not-a-token"],
    [
      "a bare JWT with alg none",
      `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sid":"x"}').toString("base64url")}.`,
    ],
    ["very long", "A".repeat(3_800)],
  ];

  for (const [name, value] of variants) {
    const context = await browser.newContext();
    await context.addCookies([{ ...hugo, value }]);
    const page = await context.newPage();
    const failures: string[] = [];
    page.on("response", (response) => {
      if (response.status() >= 500) failures.push(`${response.status()} ${response.url()}`);
    });
    await page.goto("/");
    await expect(page, name).toHaveURL(/\/signin/);
    const session = await page.request.get("/api/auth/session");
    expect(session.status(), name).toBe(200);
    expect(await session.json(), name).toEqual({});
    const action = await callServerAction(
      page.request,
      serverAction("app/(portal)/requests/[id]/actions.ts#cancelRequestAction"),
      ["x"],
    );
    expect(action.status, name).toBe(200);
    expect(action.result, name).toMatchObject({ ok: false, message: "Your session has ended. Sign in again." });
    expect(failures, name).toEqual([]);
    await context.close();
  }

  // The honest cookies still work: the refusals above were about the tampering.
  const context = await browser.newContext();
  await context.addCookies([hugo]);
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByTestId("signed-in-as")).toContainText("Hugo Hostile");
  await context.close();
});

test("the OIDC callback refuses a forged or tampered state or code with the sign-in page, never a 500", async ({
  browser,
  playwright,
}) => {
  test.setTimeout(120_000);
  // Without any sign-in under way (no state or PKCE cookie): forged parameters.
  const anonymous = await playwright.request.newContext({ baseURL: APP_URL });
  for (const query of [
    "code=forged&state=forged",
    "state=x",
    "code=x",
    "",
    "error=access_denied&state=x",
    "code=%00%0d%0a&state=%3Cscript%3E",
    `code=${"a".repeat(5_000)}&state=${"b".repeat(5_000)}`,
  ]) {
    const response = await anonymous.get(`/api/auth/callback/oidc?${query}`, {
      maxRedirects: 0,
      failOnStatusCode: false,
    });
    expect(response.status(), query).toBeLessThan(500);
    if (response.status() >= 300 && response.status() < 400)
      expect(response.headers().location ?? "", query).toMatch(/\/(signin|api\/auth\/(error|signin))/);
  }
  const posted = await anonymous.post("/api/auth/callback/oidc", {
    form: { code: "forged", state: "forged" },
    maxRedirects: 0,
    failOnStatusCode: false,
  });
  expect(posted.status()).toBeLessThan(500);
  await anonymous.dispose();

  // With a real sign-in under way (the portal's state and PKCE cookies set): the callback
  // comes with a changed state, a forged code, or another sign-in's code and state.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  let otherCallback = "";
  otherPage.on("request", (request) => {
    if (request.url().startsWith(`${APP_URL}/api/auth/callback/oidc`)) otherCallback ||= request.url();
  });
  await signInAs(otherPage, "Alice Engineer");
  await other.close();
  expect(otherCallback).toContain("code=");

  for (const tamper of ["state changed", "code forged", "another sign-in's code and state"] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const failures: string[] = [];
    let state = "";
    page.on("request", (request) => {
      if (request.url().startsWith(IDP_URL) && new URL(request.url()).searchParams.has("state"))
        state ||= new URL(request.url()).searchParams.get("state") ?? "";
    });
    page.on("response", (response) => {
      if (response.status() >= 500) failures.push(`${response.status()} ${response.url()}`);
    });
    await page.goto("/signin");
    await page.getByRole("button", { name: /sign in with/i }).click();
    await expect(page).toHaveURL(new RegExp(`^${IDP_URL}`));
    expect(state, "the portal sent a state").not.toBe("");
    const callback = new URL(`${APP_URL}/api/auth/callback/oidc`);
    if (tamper === "another sign-in's code and state") callback.search = new URL(otherCallback).search;
    else {
      callback.searchParams.set("code", "forged-code");
      callback.searchParams.set("state", tamper === "state changed" ? `${state.slice(0, -2)}xx` : state);
      callback.searchParams.set("iss", IDP_URL);
    }
    await page.goto(callback.toString());
    await expect(page, tamper).toHaveURL(/\/signin\?.*error=/);
    await expect(page.locator("main [role=alert]"), tamper).toContainText(/sign-in/i);
    expect(await sessionCookieOrNull(context), `${tamper}: a session was created`).toBeNull();
    expect(failures, tamper).toEqual([]);
    await context.close();
  }
});

const sessionCookieOrNull = async (context: BrowserContext): Promise<Cookie | null> =>
  (await context.cookies()).find((cookie) => cookie.name.includes("session-token")) ?? null;
