import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from "jose";
import { IDP_URL } from "./support/env";
import { signInAs } from "./support/sign-in";

/**
 * An administrator adds the IdP's Shared Signals transmitter on Admin -> Directory sync; the
 * transmitter (built here: jose keys, its JWKS over HTTP) pushes a CAEP session-revoked for a
 * signed-in person, and that person's next page is the sign-in page (ADR 0040). A SET signed
 * with another key is refused with the RFC 8935 error first, and changes nothing.
 */
test("a session-revoked SET from the IdP sends the signed-in person's next page to sign-in; a forged one changes nothing", async ({
  browser,
  request,
}) => {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const kid = `e2e-${randomBytes(4).toString("hex")}`;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }] });
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;

  const tag = randomBytes(4).toString("hex");
  const name = `Okta signals ${tag}`;
  const issuer = `https://okta-ssf-${tag}.example.com`;
  const audience = `https://portal.example.com/ssf/${tag}`;
  const admin = await (await browser.newContext()).newPage();
  await signInAs(admin, "Ada Admin", "/admin/directory");
  const form = admin.getByRole("form", { name: "New Shared Signals transmitter" });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Issuer", { exact: true }).fill(issuer);
  await form.getByLabel("JWKS URL", { exact: true }).fill(jwksUrl);
  await form.getByLabel("Audience", { exact: true }).fill(audience);
  await form.getByLabel("People's issuer", { exact: true }).fill(IDP_URL);
  await form.getByRole("button", { name: "Add transmitter" }).click();
  const row = admin.getByTestId(`transmitter-${name}`);
  await expect(row).toBeVisible();
  const receiver = /\/api\/ssf\/events\/[0-9a-f-]{36}/.exec((await row.textContent()) ?? "")?.[0] ?? "";
  expect(receiver).not.toBe("");

  const person = await (await browser.newContext()).newPage();
  await signInAs(person, "Cleo Continuous", "/");
  const sign = (key: KeyLike) =>
    new SignJWT({
      sub_id: { format: "iss_sub", iss: IDP_URL, sub: "e2e-cleo-caep" },
      events: {
        "https://schemas.openid.net/secevent/caep/event-type/session-revoked": {
          event_timestamp: Math.floor(Date.now() / 1000),
        },
      },
    })
      .setProtectedHeader({ alg: "ES256", kid, typ: "secevent+jwt" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setJti(randomBytes(8).toString("hex"))
      .sign(key);
  const push = async (token: string) =>
    request.post(receiver, { headers: { "content-type": "application/secevent+jwt" }, data: token });

  const forged = await push(await sign((await generateKeyPair("ES256")).privateKey));
  expect(forged.status()).toBe(400);
  expect(((await forged.json()) as { err: string }).err).toBe("invalid_key");
  await person.reload();
  await expect(person.getByTestId("signed-in-as")).toContainText("Cleo Continuous");

  const accepted = await push(await sign(privateKey));
  expect(accepted.status()).toBe(202);
  await person.reload();
  await expect(person).toHaveURL(/\/signin\?reason=revoked/);

  await admin.reload();
  await expect(admin.getByTestId(`transmitter-${name}`)).not.toContainText("none yet");
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
