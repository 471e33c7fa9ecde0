/**
 * Drives the development IdP the way a browser and the portal's OIDC client do, over real
 * HTTP with plain fetch: no redirects followed automatically, cookies kept by hand. If this
 * passes, next-auth's code path works against it as it does against a company IdP.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { DEMO_USERS } from "./demo-users";
import { startDevIdp, type DevIdp } from "./server";

const CLIENT = {
  clientId: "portal-test",
  clientSecret: "test-secret-of-enough-length",
  redirectUris: ["http://localhost:3999/api/auth/callback/oidc"],
};
const REDIRECT_URI = CLIENT.redirectUris[0] as string;

type Discovery = {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  code_challenge_methods_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  id_token_signing_alg_values_supported: string[];
  claims_supported: string[];
  scopes_supported: string[];
};

/** A browser's cookie jar, reduced to what this flow needs: one host, paths ignored. */
const createBrowser = () => {
  const jar = new Map<string, string>();
  const request = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = cookie.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, date] = attribute.trim().split("=");
        return key?.toLowerCase() === "expires" && date !== undefined && Date.parse(date) < Date.now();
      });
      if (value === "" || expired) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  return { request };
};

const base64url = (bytes: Buffer) => bytes.toString("base64url");
const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

const location = (response: Response, base: string): string => {
  const value = response.headers.get("location");
  assert.ok(value, `expected a redirect, got ${response.status}`);
  return new URL(value, base).href;
};

describe("development IdP: authorization code flow with PKCE", () => {
  let idp: DevIdp;
  let discovery: Discovery;

  before(async () => {
    idp = await startDevIdp({ port: 0, clients: [CLIENT] });
    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    discovery = (await response.json()) as Discovery;
  });

  after(async () => {
    await idp.close();
  });

  /** Starts an authorization request (in a fresh browser unless given one) and returns the IdP's answer. */
  const authorize = async (overrides: Record<string, string | undefined> = {}, browser = createBrowser()) => {
    const verifier = base64url(randomBytes(32));
    const state = base64url(randomBytes(16));
    const nonce = base64url(randomBytes(16));
    const params: Record<string, string | undefined> = {
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      scope: "openid email profile",
      state,
      nonce,
      code_challenge: base64url(createHash("sha256").update(verifier).digest()),
      code_challenge_method: "S256",
      ...overrides,
    };
    const url = new URL(discovery.authorization_endpoint);
    for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
    const response = await browser.request(url.href);
    return { browser, response, verifier, state, nonce };
  };

  /** Follows the IdP's redirects to the client's callback; a page on the way fails the test. */
  const followToClient = async (browser: ReturnType<typeof createBrowser>, start: string): Promise<URL> => {
    let next = start;
    for (let hop = 0; !next.startsWith(REDIRECT_URI); hop += 1) {
      assert.ok(hop < 10, "too many redirects before reaching the client");
      next = location(await browser.request(next), idp.issuer);
    }
    return new URL(next);
  };

  /** The whole browser leg: authorize, pick a user, follow redirects back to the client. */
  const signIn = async (sub: string) => {
    const { browser, response, verifier, state, nonce } = await authorize();
    assert.equal(response.status, 303);
    const interactionUrl = location(response, idp.issuer);
    assert.match(new URL(interactionUrl).pathname, /^\/interaction\/[\w-]+$/);

    const loginPage = await browser.request(interactionUrl);
    assert.equal(loginPage.status, 200);
    const html = await loginPage.text();

    const login = await browser.request(`${interactionUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ sub }).toString(),
    });
    assert.equal(login.status, 303);

    const callback = await followToClient(browser, location(login, idp.issuer));
    return { browser, html, callback, verifier, state, nonce };
  };

  const exchange = async (body: Record<string, string>, authorization?: string) =>
    fetch(discovery.token_endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(authorization ? { authorization } : {}),
      },
      body: new URLSearchParams(body).toString(),
    });

  it("publishes discovery for the code flow with S256 PKCE, secret auth and RS256", () => {
    assert.equal(discovery.issuer, idp.issuer);
    assert.match(idp.issuer, /^http:\/\/localhost:\d+$/);
    assert.deepEqual(discovery.code_challenge_methods_supported, ["S256"]);
    assert.ok(discovery.token_endpoint_auth_methods_supported.includes("client_secret_basic"));
    assert.ok(discovery.token_endpoint_auth_methods_supported.includes("client_secret_post"));
    assert.ok(discovery.id_token_signing_alg_values_supported.includes("RS256"));
    for (const claim of ["sub", "email", "email_verified", "name", "groups"]) {
      assert.ok(discovery.claims_supported.includes(claim), `claims_supported lacks ${claim}`);
    }
    for (const scope of ["openid", "email", "profile", "groups"]) {
      assert.ok(discovery.scopes_supported.includes(scope), `scopes_supported lacks ${scope}`);
    }
  });

  it("answers on 127.0.0.1 as well as localhost", async () => {
    const response = await fetch(`${idp.issuer.replace("localhost", "127.0.0.1")}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as Discovery).issuer, idp.issuer);
  });

  it("signs bob in and issues an ID token signed by the published key, with the portal's claims", async () => {
    const { html, callback, verifier, state, nonce } = await signIn("demo-bob");

    assert.match(html, /<title>Development sign-in<\/title>/);
    for (const user of DEMO_USERS) {
      assert.ok(html.includes(user.name), `login page lacks ${user.name}`);
      assert.ok(html.includes(user.email), `login page lacks ${user.email}`);
      assert.ok(html.includes(`aria-label="Sign in as ${user.name}"`), `no accessible button for ${user.name}`);
      assert.ok(html.includes(`value="${user.sub}"`), `no button posting ${user.sub}`);
    }

    assert.equal(callback.searchParams.get("state"), state);
    assert.equal(callback.searchParams.get("iss"), idp.issuer);
    const code = callback.searchParams.get("code");
    assert.ok(code, "no code in the callback");

    const response = await exchange(
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      basicAuth(CLIENT.clientId, CLIENT.clientSecret),
    );
    assert.equal(response.status, 200);
    const tokens = (await response.json()) as { id_token: string; access_token: string; token_type: string };
    assert.equal(tokens.token_type, "Bearer");
    assert.ok(tokens.access_token);

    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token, jwks, {
      issuer: idp.issuer,
      audience: CLIENT.clientId,
    });
    assert.equal(protectedHeader.alg, "RS256");
    assert.equal(payload.sub, "demo-bob");
    assert.equal(payload.email, "bob@example.com");
    assert.equal(payload.email_verified, true);
    assert.equal(payload.name, "Bob Approver");
    assert.deepEqual(payload.groups, ["engineers", "db-approvers"]);
    assert.equal(payload.nonce, nonce);
  });

  it("accepts client_secret_post at the token endpoint too", async () => {
    const { callback, verifier } = await signIn("demo-alice");
    const response = await exchange({
      grant_type: "authorization_code",
      code: callback.searchParams.get("code") ?? "",
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    assert.equal(response.status, 200);
  });

  it("refuses a code redeemed with the wrong code_verifier (invalid_grant)", async () => {
    const { callback } = await signIn("demo-carol");
    const response = await exchange(
      {
        grant_type: "authorization_code",
        code: callback.searchParams.get("code") ?? "",
        redirect_uri: REDIRECT_URI,
        code_verifier: base64url(randomBytes(32)),
      },
      basicAuth(CLIENT.clientId, CLIENT.clientSecret),
    );
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, "invalid_grant");
  });

  it("refuses a code redeemed with the wrong client secret (invalid_client)", async () => {
    const { callback, verifier } = await signIn("demo-sam");
    const response = await exchange(
      {
        grant_type: "authorization_code",
        code: callback.searchParams.get("code") ?? "",
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      },
      basicAuth(CLIENT.clientId, "not-the-secret"),
    );
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, "invalid_client");
  });

  it("grants a signed-in browser's request for more scope without a consent screen", async () => {
    const { browser } = await signIn("demo-oscar");
    const { response, verifier, nonce } = await authorize({ scope: "openid groups" }, browser);
    const callback = await followToClient(browser, location(response, idp.issuer));
    const code = callback.searchParams.get("code");
    assert.ok(code, `no code in the callback: ${callback.search}`);
    const tokens = (await (
      await exchange(
        { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
        basicAuth(CLIENT.clientId, CLIENT.clientSecret),
      )
    ).json()) as { id_token: string };
    const { payload } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: idp.issuer,
      audience: CLIENT.clientId,
    });
    assert.equal(payload.sub, "demo-oscar");
    assert.deepEqual(payload.groups, ["engineers", "oncall"]);
    assert.equal(payload.nonce, nonce);
    // The `groups` scope alone carries no email.
    assert.equal(payload.email, undefined);
  });

  it("refuses an authorization request without PKCE", async () => {
    const { response } = await authorize({ code_challenge: undefined, code_challenge_method: undefined });
    assert.equal(response.status, 303);
    const target = new URL(location(response, idp.issuer));
    assert.ok(target.href.startsWith(REDIRECT_URI));
    assert.equal(target.searchParams.get("error"), "invalid_request");
    assert.equal(target.searchParams.get("code"), null);
  });

  it("refuses a redirect_uri that is not registered, without redirecting there", async () => {
    const { response } = await authorize({ redirect_uri: "http://localhost:3999/elsewhere" });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("location"), null);
    assert.match(await response.text(), /invalid_redirect_uri/);
  });

  it("answers an unknown sub on the login form with 400 and escapes it", async () => {
    const { browser, response } = await authorize();
    const interactionUrl = location(response, idp.issuer);
    const login = await browser.request(`${interactionUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ sub: "<script>alert(1)</script>" }).toString(),
    });
    assert.equal(login.status, 400);
    const html = await login.text();
    assert.ok(!html.includes("<script>"), "the unknown sub was echoed unescaped");
    assert.ok(html.includes("&lt;script&gt;"));
  });

  it("refuses a login POST without the interaction cookie", async () => {
    const { response } = await authorize();
    const interactionUrl = location(response, idp.issuer);
    const login = await fetch(`${interactionUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ sub: "demo-ada" }).toString(),
      redirect: "manual",
    });
    assert.equal(login.status, 400);
  });
});
