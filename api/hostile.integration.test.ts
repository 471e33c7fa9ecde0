/**
 * Hostile input against the services API (the real server, in-process, real PostgreSQL and
 * Redis): JWT key confusion (HS256 keyed with the published ES256 public key, an embedded
 * `jwk`, a `jku` or `kid` pointing elsewhere), and every endpoint driven by fast-check with
 * generated methods, headers, bodies (types, sizes, deep nesting, unicode, SQL and script
 * payloads) and query strings: every answer is JSON, a 4xx names its reason, never a 500,
 * and the database is unchanged after each refused call but for its denial audit events.
 *
 * Reproduce a failure with the seed it prints: `HOSTILE_SEED=<seed> npm test -- integration api/hostile`.
 */
import assert from "node:assert/strict";
import { createHmac, createPublicKey, generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { SignJWT } from "jose";
import { getConfig } from "../lib/config";
import { db, disconnectDb } from "../lib/db";
import { redis } from "../lib/redis";
import { createServiceClient } from "../lib/services";
import { loadKeyRing } from "../lib/services/signing-keys";
import { refusalTrailProblems, snapshotDb } from "../lib/testing/db-digest";
import { uniqueId } from "../lib/testing/fixtures";
import { fcOptions, HOSTILE_SEED, HOSTILE_STRINGS, hostileJson, hostileString } from "../lib/testing/hostile";
import { startApiServer, type TApiServer } from "./server";

const SYSTEM = { kind: "system", name: "test" } as const;

let api: TApiServer;
let token: string;
let client: { clientId: string; clientSecret: string };
let resourceKey: string;

before(async () => {
  console.log(`hostile input: HOSTILE_SEED=${HOSTILE_SEED}`);
  // A long audit window: aggregated check events are written at close, not in the middle of a
  // call whose database digest is being compared.
  api = await startApiServer({
    port: 0,
    pollMs: 250,
    rateLimit: { limit: 100_000, windowMs: 60_000 },
    auditWindowMs: 3_600_000,
    log: () => undefined,
  });
  resourceKey = uniqueId("res");
  await db.resource.create({
    data: { key: resourceKey, name: resourceKey, environment: "production", permissions: ["read"] },
  });
  client = await createServiceClient({
    actor: SYSTEM,
    input: { name: uniqueId("svc"), scopes: ["access:check", "grants:read"], resourceKeys: [] },
  });
  const res = await fetch(`${api.url}/api/v1/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
    },
    body: "grant_type=client_credentials",
  });
  assert.equal(res.status, 200);
  token = ((await res.json()) as { access_token: string }).access_token;
});
after(async () => {
  await api.close();
  await disconnectDb();
  redis().disconnect();
});

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const checkBody = JSON.stringify({ subject: "nobody@example.com", resource: "prod-postgres", permission: "read" });

const expectInvalidToken = async (name: string, forged: string) => {
  const res = await fetch(`${api.url}/api/v1/access/check`, {
    method: "POST",
    headers: { authorization: `Bearer ${forged}`, "content-type": "application/json" },
    body: checkBody,
  });
  assert.equal(res.status, 401, name);
  assert.match(res.headers.get("www-authenticate") ?? "", /error="invalid_token"/, name);
  const body = (await res.json()) as { error: string; message: string };
  assert.equal(body.error, "invalid_token", name);
  assert.ok(body.message.length > 0, name);
};

describe("JWT key confusion and header tricks", () => {
  it("refuses HS256 tokens keyed with the published ES256 public key (JWK, PEM, DER, coordinates) under its kid", async () => {
    const ring = await loadKeyRing();
    const published = ring.jwks.keys[0];
    assert.ok(published);
    const { kid } = published;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: client.clientId,
      iss: getConfig().appUrl,
      aud: "jit-access",
      iat: now,
      exp: now + 900,
      jti: uniqueId("jti"),
      scope: "access:check grants:read",
    };
    const publicKey = createPublicKey({ key: published as unknown as import("node:crypto").JsonWebKey, format: "jwk" });
    const secrets: Array<[string, string | Buffer]> = [
      ["the JWK as JSON", JSON.stringify(published)],
      ["the JWKS document", JSON.stringify(ring.jwks)],
      ["the PEM", publicKey.export({ type: "spki", format: "pem" })],
      ["the DER", publicKey.export({ type: "spki", format: "der" })],
      ["the x coordinate", published.x ?? ""],
    ];
    for (const alg of ["HS256", "HS384", "HS512"] as const) {
      for (const [name, secret] of secrets) {
        const input = `${b64({ alg, typ: "JWT", kid })}.${b64(claims)}`;
        const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg];
        await expectInvalidToken(
          `${alg} keyed with ${name}`,
          `${input}.${createHmac(hash, secret).update(input).digest("base64url")}`,
        );
      }
    }
    // The honest token with the same claims is accepted: the forgeries fail on the key, not the claims.
    assert.equal(
      (
        await fetch(`${api.url}/api/v1/access/check`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: checkBody,
        })
      ).status,
      200,
    );
  });

  it("ignores keys a token brings along (jwk, jku, x5u, x5c) and kids pointing elsewhere", async () => {
    const ring = await loadKeyRing();
    const { kid } = ring.jwks.keys[0] ?? { kid: "" };
    const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const attackerJwk = attacker.publicKey.export({ format: "jwk" });
    const now = Math.floor(Date.now() / 1000);
    const forge = (header: Record<string, unknown>) =>
      new SignJWT({ scope: "access:check grants:read" })
        .setProtectedHeader({ alg: "ES256", ...header })
        .setSubject(client.clientId)
        .setJti(uniqueId("jti"))
        .setIssuer(getConfig().appUrl)
        .setAudience("jit-access")
        .setIssuedAt(now)
        .setExpirationTime(now + 900)
        .sign(attacker.privateKey);
    const attacks: Array<[string, Record<string, unknown>]> = [
      ["embedded jwk with the real kid", { kid, jwk: { ...attackerJwk, kid } }],
      ["embedded jwk without a kid", { jwk: attackerJwk }],
      ["jku to the attacker's JWKS with the real kid", { kid, jku: "https://evil.example/jwks.json" }],
      ["jku with an unknown kid", { kid: "attacker-key", jku: "https://evil.example/jwks.json" }],
      ["x5u", { kid, x5u: "https://evil.example/cert.pem" }],
      ["kid path traversal", { kid: "../../../../dev/null" }],
      ["kid SQL injection", { kid: "' OR '1'='1" }],
      ["kid of another type", { kid: 0 }],
      ["no kid", {}],
    ];
    for (const [name, header] of attacks) await expectInvalidToken(name, await forge(header));
    // Algorithms other than ES256 under the real kid, unsigned or with a bogus signature.
    const claims = {
      sub: client.clientId,
      iss: getConfig().appUrl,
      aud: "jit-access",
      iat: now,
      exp: now + 900,
      jti: "x",
      scope: "access:check",
    };
    for (const alg of ["none", "None", "NONE", "ES384", "RS256", "PS256", "EdDSA", ""]) {
      await expectInvalidToken(`alg ${alg || "(empty)"}`, `${b64({ alg, kid })}.${b64(claims)}.${b64("sig")}`);
      await expectInvalidToken(`alg ${alg || "(empty)"}, empty signature`, `${b64({ alg, kid })}.${b64(claims)}.`);
    }
    // The real token with its header swapped for one with `crit`, or its payload replaced.
    const [header, payload, signature] = token.split(".");
    await expectInvalidToken("crit header", `${b64({ alg: "ES256", kid, crit: ["exp"] })}.${payload}.${signature}`);
    await expectInvalidToken(
      "payload replaced",
      `${header}.${b64({ ...claims, scope: "access:check grants:read admin" })}.${signature}`,
    );
  });
});

type TCall = { method: string; path: string; headers: Record<string, string>; body?: string };

/** Each endpoint with its own method, which the generator picks most of the time. */
const ENDPOINTS: ReadonlyArray<[string, string]> = [
  ["/api/v1/access/check", "POST"],
  ["/api/v1/access/check", "POST"],
  ["/api/v1/grants", "GET"],
  ["/api/v1/grants", "GET"],
  ["/api/v1/oauth/token", "POST"],
  ["/api/v1/oauth/token", "POST"],
  ["/.well-known/jwks.json", "GET"],
  ["/api/v1/openapi.json", "GET"],
  ["/api/v1/nope", "GET"],
];

/** Header values fetch accepts (no CR/LF/NUL, Latin-1). */
const headerSafe = (value: string) => value.replace(/[\u0000-\u001f\u007f-\uffff]/g, "?");

const hostileCall = (): fc.Arbitrary<TCall> =>
  fc
    .record({
      endpoint: fc.constantFrom(...ENDPOINTS),
      otherMethod: fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS") },
      ),
      query: fc.option(
        fc
          .array(
            fc.tuple(
              fc.oneof(fc.constantFrom("subject", "resource", "status", "limit", "cursor"), hostileString()),
              hostileString(),
            ),
            { maxLength: 4 },
          )
          .map((query) => `?${new URLSearchParams(query).toString()}`),
        { nil: "" },
      ),
      auth: fc.oneof(
        { weight: 3, arbitrary: fc.constant("valid") },
        { weight: 1, arbitrary: fc.constant("none") },
        { weight: 1, arbitrary: hostileString().map((value) => `Bearer ${headerSafe(value)}`) },
        { weight: 1, arbitrary: hostileString().map((value) => `Basic ${Buffer.from(value).toString("base64")}`) },
      ),
      contentType: fc.constantFrom(
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
      ),
      body: fc.option(
        fc.oneof(
          hostileJson().map((value) => JSON.stringify(value) ?? "null"),
          hostileString(),
          fc.constantFrom(
            "{",
            "[".repeat(100_000),
            `${"[".repeat(3_000)}${"]".repeat(3_000)}`,
            "grant_type=client_credentials&grant_type=password",
            "x".repeat(20_000),
          ),
          fc
            .record({ subject: hostileString(), resource: hostileString(), permission: hostileString() })
            .map((value) => JSON.stringify(value)),
        ),
        { nil: undefined },
      ),
    })
    .map(({ endpoint: [path, ownMethod], otherMethod, query, auth, contentType, body }) => ({
      method: otherMethod ?? ownMethod,
      path: `${path}${query}`,
      headers: {
        ...(auth === "valid" ? { authorization: `Bearer ${token}` } : auth === "none" ? {} : { authorization: auth }),
        ...(contentType ? { "content-type": contentType } : {}),
      },
      body: (otherMethod ?? ownMethod) === "GET" || otherMethod === "OPTIONS" ? undefined : body,
    }));

describe("every endpoint, generated requests (property)", () => {
  it("answers JSON, never a 500; a 4xx names its reason; a refused call changes nothing but its denial audit", async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostileCall(), async (call) => {
        const label = `${call.method} ${call.path.slice(0, 200)} ${JSON.stringify(call.headers).slice(0, 200)} body ${JSON.stringify(call.body?.slice(0, 200))}`;
        const before = await snapshotDb();
        const res = await fetch(`${api.url}${call.path}`, {
          method: call.method,
          headers: call.headers,
          body: call.body,
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `${label}: ${res.status} ${text.slice(0, 300)}`);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/, label);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        if (res.status >= 400) {
          assert.equal(typeof parsed.error, "string", `${label}: no error code: ${text.slice(0, 300)}`);
          assert.ok(
            typeof parsed.message === "string" && parsed.message.length > 0,
            `${label}: no reason: ${text.slice(0, 300)}`,
          );
          assert.deepEqual(await refusalTrailProblems(before), [], label);
        }
      }),
      fcOptions(150),
    );
    console.log(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  });

  it("the check refuses every hostile subject, resource and permission without error, and says allowed: false", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          subject: fc.constantFrom(...HOSTILE_STRINGS),
          resource: hostileString(),
          permission: hostileString(),
        }),
        async (input) => {
          const res = await fetch(`${api.url}/api/v1/access/check`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify(input),
          });
          const body = (await res.json()) as { allowed?: boolean; error?: string };
          assert.ok(
            res.status === 200 ? body.allowed === false : res.status === 400 && body.error === "invalid_request",
            `${res.status} ${JSON.stringify(body)}`,
          );
        },
      ),
      fcOptions(50),
    );
  });
});
