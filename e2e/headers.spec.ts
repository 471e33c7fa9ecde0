import { expect, test } from "@playwright/test";
import { signInAs } from "./support/sign-in";

test("pages carry a nonce-based CSP, every script has this response's nonce, and nothing is blocked", async ({
  page,
}) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(message.text());
  });

  const response = await page.goto("/signin");
  const policy = response?.headers()["content-security-policy"] ?? "";
  const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
  expect(nonce, policy).toBeTruthy();
  expect(policy).toContain("'strict-dynamic'");
  expect(policy).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
  expect(response?.headers()["x-frame-options"]).toBe("DENY");
  const scripts = await page
    .locator("script")
    .evaluateAll((elements) => elements.map((element) => (element as HTMLScriptElement).nonce));
  expect(scripts.length).toBeGreaterThan(0);
  expect(scripts.every((value) => value === nonce)).toBe(true);

  // A second response gets another nonce.
  const again = await page.request.get("/signin");
  expect(again.headers()["content-security-policy"]).not.toContain(`'nonce-${nonce}'`);

  // Client components still hydrate and work under the policy: sign in, open the request form.
  await signInAs(page, "Alice Engineer", "/request");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  expect(violations).toEqual([]);
});

test("state-changing requests from another site are refused before any handler, server actions included", async ({
  page,
}) => {
  await signInAs(page, "Alice Engineer", "/request");
  for (const path of ["/api/auth/signout", "/request", "/admin/resources"]) {
    const refused = await page.request.post(path, {
      headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      data: "a=1",
    });
    expect(refused.status(), path).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe("cross_site_request");
  }
  // The session survived: the refused sign-out did nothing.
  await page.goto("/request");
  await expect(page).toHaveURL(/\/request$/);
});

/** What every answer carries, whatever produced it (next.config.js `headers`, proxy.ts, the API server). */
const BASELINE: Record<string, RegExp> = {
  "x-content-type-options": /^nosniff$/,
  "referrer-policy": /^strict-origin-when-cross-origin$/,
  "permissions-policy": /camera=\(\)/,
  "x-frame-options": /^DENY$/,
  "content-security-policy": /frame-ancestors 'none'/,
};

test("every kind of response carries the baseline security headers, refusals and errors included", async ({
  page,
  request,
}) => {
  await page.goto("/signin");
  const script = await page.locator("script[src]").first().getAttribute("src");
  expect(script).toMatch(/^\/_next\/static\//);
  const answers = {
    page: await request.get("/signin"),
    "not found page": await request.get("/no-such-page"),
    "signed-out redirect": await request.get("/approvals", { maxRedirects: 0 }),
    "route handler": await request.get("/api/health"),
    "next-auth": await request.get("/api/auth/providers"),
    "static asset": await request.get(script as string),
    "services API through the portal": await request.get("/.well-known/jwks.json"),
    "services API refusal": await request.post("/api/v1/access/check", { data: {} }),
    "cross-site refusal": await request.post("/request", { headers: { origin: "https://evil.example" }, data: "a=1" }),
  };
  const missing: string[] = [];
  for (const [kind, response] of Object.entries(answers)) {
    const headers = response.headers();
    for (const [name, pattern] of Object.entries(BASELINE))
      if (!pattern.test(headers[name] ?? "")) missing.push(`${kind} (${response.status()}): ${name}=${headers[name]}`);
    if (headers["x-powered-by"]) missing.push(`${kind}: x-powered-by`);
  }
  expect(missing).toEqual([]);
  // HSTS only when the public origin is https; this run is http on localhost.
  expect(answers.page.headers()["strict-transport-security"]).toBeUndefined();
});

test("the session cookie is HttpOnly and SameSite=Lax, and holds no claims", async ({ page }) => {
  await signInAs(page, "Alice Engineer");
  const cookies = await page.context().cookies();
  const session = cookies.find((cookie) => /next-auth\.session-token$/.test(cookie.name));
  expect(session, cookies.map((cookie) => cookie.name).join(", ")).toBeTruthy();
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Lax");
  expect(session?.path).toBe("/");
  // An encrypted JWT (JWE, five parts), not a readable one: nothing from the IdP is exposed.
  expect(session?.value.split(".")).toHaveLength(5);
  expect(session?.value).not.toContain("alice");
  // The CSRF and callback cookies are HttpOnly too.
  for (const cookie of cookies.filter((c) => c.name.startsWith("next-auth.") && !c.name.endsWith("callback-url")))
    expect(cookie.httpOnly, cookie.name).toBe(true);
});
