/**
 * `npm run bench:signals`: how fast the IdP's word and a service's observation end access, on
 * the production build (the fault drills' stack: `npm start`, the worker, the e2e IdP, throwaway
 * PostgreSQL and Redis).
 *
 *   npm run bench:signals                       100 trials per source, builds first
 *   npm run bench:signals -- --trials=20 --no-build
 *
 * Each trial gives a new person a live grant (auto-approved, through requestAccess) on a
 * resource whose webhook endpoint hears `grant.revoked`, signs them in (a session cookie), waits
 * until the services API's check says yes, then sends one of:
 *   scim     PATCH /scim/v2/Users/<id> {active: false}, as Okta sends it (directory token)
 *   caep     POST /api/ssf/events/<transmitter>: a CAEP session-revoked SET, signed with jose,
 *            its JWKS served over HTTP (it ends the person's sessions, devices and grants, ADR 0040)
 *   usage    POST /api/v1/signals: rows_read over the policy's ceiling (response "revoke")
 * and measures from the moment the call is sent until
 *   (a) the portal answers the person's next page with a redirect to sign-in,
 *   (b) POST /api/v1/access/check answers allowed: false,
 *   (c) the webhook receiver got the grant's `grant.revoked` (the deprovision ran).
 * Each probe polls every 5 ms. Then the signals endpoint's throughput next to the check
 * endpoint's (autocannon, --duration=10 s each, 32 connections).
 * Ports: the drills' (app 3660, IdP 3661, API 3662, PostgreSQL 55436, Redis 6396).
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { getPage, mintSession, timedFetch } from "./drills/http";
import { API_URL, APP_URL, ROOT, startStack } from "./drills/stack";
import { formatStats, sleep, startReceiver, stats, type TStats } from "./support";

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string =>
  argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const TRIALS = Number(option("trials", "100"));
const DURATION = Number(option("duration", "10"));
const BUILD = !argv.includes("--no-build");
const TARGET_P99_MS = 1_000;
const PROBE_EVERY_MS = 5;
const GIVE_UP_MS = 15_000;

const t0 = Date.now();
const say = (line: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const logDir = path.join(ROOT, "bench", "results", `signals-${new Date().toISOString().replace(/[:.]/g, "-")}`);

type TLeg = "page" | "check" | "deprovision";
type TSource = "scim" | "caep" | "usage";
// A flagged usage signal ends the grant, not the person's session: their pages stay theirs.
const LEGS: Record<TSource, TLeg[]> = {
  scim: ["page", "check", "deprovision"],
  caep: ["page", "check", "deprovision"],
  usage: ["check", "deprovision"],
};

const main = async (): Promise<number> => {
  const load = os.loadavg();
  say(`trials=${TRIALS} per source; ${os.cpus().length} CPUs, load ${load.map((v) => v.toFixed(1)).join(" ")}`);
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    // The per-client API limit (6,000 a minute) would turn the throughput runs into 429s.
    await startStack({
      logDir,
      build: BUILD,
      cleanups,
      say,
      extraEnv: { NODE_ENV: "production", API_RATE_LIMIT: "1000000000" },
    });
    const { db } = await import("../lib/db");
    const { getConfig } = await import("../lib/config");
    const { createActor } = await import("../lib/testing/fixtures");
    const { rolesForGroups } = await import("../lib/authz");
    const { requestAccess } = await import("../lib/access");
    const { createEndpoint, verifyWebhook } = await import("../lib/webhooks");
    const { createServiceClient } = await import("../lib/services/clients");
    const { createDirectoryConnection } = await import("../lib/scim/manage-connections");
    const { createSignalTransmitter } = await import("../lib/ssf/manage-transmitters");
    const config = getConfig();

    // ---- fixtures: a resource, its webhook endpoint, an auto-approved policy with a ceiling --
    const admin = await createActor({ groups: [config.adminGroups[0] ?? "portal-admins"] });
    const group = "bench-signals-engineers";
    const resourceKey = `bench-sig-${randomBytes(3).toString("hex")}`;
    const resource = await db.resource.create({
      data: { key: resourceKey, name: "Bench signals", environment: "production", permissions: ["read"] },
    });
    const policy = await db.accessPolicy.create({
      data: {
        resourceId: resource.id,
        name: "auto",
        permissions: ["read"],
        requesterGroups: [group],
        approverGroups: ["nobody"],
        defaultDurationMinutes: 60,
        maxDurationMinutes: 240,
        autoApproveGroups: [group],
        autoApprovePermissions: ["read"],
        usageCeilings: { rows_read: 1_000 },
        usageResponse: "revoke",
      },
    });
    let secret = "";
    const receiver = await startReceiver((headers, body) => {
      const result = verifyWebhook({ secret, headers: headers as Record<string, string | string[] | undefined>, body });
      return result.ok ? { ok: true, id: result.id } : result;
    });
    cleanups.push(() => receiver.close());
    // Production accepts only https endpoints; the receiver is plain HTTP on loopback, so the row
    // is pointed at it after the app created it (as the drills do; not a path users have).
    const endpoint = await createEndpoint({
      actor: admin,
      resourceKey,
      url: `https://127.0.0.1:${receiver.port}/hook`,
      events: ["grant.revoked"],
    });
    await db.webhookEndpoint.update({
      where: { id: endpoint.endpointId },
      data: { url: `http://127.0.0.1:${receiver.port}/hook` },
    });
    secret = endpoint.secret;
    const revokedAt = (grantId: string): number | null => {
      for (const delivery of receiver.received.values()) if (delivery.grantId === grantId) return delivery.receivedAt;
      return null;
    };

    // ---- the services API: one client for checks and signals -----------------------------
    const client = await createServiceClient({
      actor: { kind: "system", name: "bench" },
      input: { name: "bench-signals", scopes: ["access:check", "signals:write"] },
    });
    const tokenAnswer = await fetch(`${API_URL}/api/v1/oauth/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
      },
      body: "grant_type=client_credentials",
    });
    const { access_token: token } = (await tokenAnswer.json()) as { access_token: string };
    const api = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const allowed = async (subject: string): Promise<boolean | null> => {
      const answer = await timedFetch(`${API_URL}/api/v1/access/check`, {
        method: "POST",
        headers: api,
        body: JSON.stringify({ subject, resource: resourceKey, permission: "read" }),
      });
      return answer.status === 200 ? (JSON.parse(answer.body) as { allowed: boolean }).allowed : null;
    };

    // ---- the directory (SCIM) and its group, and the Shared Signals transmitter ------------
    const directory = await createDirectoryConnection({
      actor: admin,
      input: { name: "Bench Okta", issuer: config.oidc.issuer },
    });
    const scim = { authorization: `Bearer ${directory.token}`, "content-type": "application/scim+json" };
    const scimCall = async (method: string, url: string, body?: unknown) => {
      const answer = await timedFetch(`${APP_URL}/scim/v2${url}`, {
        method,
        headers: scim,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (answer.status >= 300) throw new Error(`SCIM ${method} ${url}: ${answer.status} ${answer.body.slice(0, 200)}`);
      return answer.body ? (JSON.parse(answer.body) as { id: string }) : null;
    };
    const scimGroup = await scimCall("POST", "/Groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: group,
    });

    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "ES256", use: "sig" };
    const jwks = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => jwks.close(() => resolve())));
    const ssfIssuer = "https://bench-transmitter.example";
    const audience = `${APP_URL}/bench`;
    const { transmitterId } = await createSignalTransmitter({
      actor: admin,
      input: {
        name: "Bench transmitter",
        issuer: ssfIssuer,
        jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`,
        audience,
        subjectIssuer: config.oidc.issuer,
        onDeviceNonCompliant: "suspend",
      },
    });
    const pushSet = async (sub: string, event: string, body: Record<string, unknown>) => {
      const set = await new SignJWT({
        events: { [event]: body },
        sub_id: { format: "iss_sub", iss: config.oidc.issuer, sub },
      })
        .setProtectedHeader({ alg: "ES256", kid: "bench", typ: "secevent+jwt" })
        .setIssuer(ssfIssuer)
        .setAudience(audience)
        .setIssuedAt()
        .setJti(randomBytes(12).toString("hex"))
        .sign(privateKey);
      return timedFetch(`${APP_URL}/api/ssf/events/${transmitterId}`, {
        method: "POST",
        headers: { "content-type": "application/secevent+jwt" },
        body: set,
      });
    };
    say(`resource ${resourceKey}, webhook receiver :${receiver.port}, directory and transmitter ready`);

    // ---- one trial --------------------------------------------------------------------------
    const person = async (source: TSource, index: number) => {
      const sub = `bench-${source}-${index}-${randomBytes(3).toString("hex")}`;
      const email = `${sub}@bench.example`;
      if (source === "scim") {
        const created = await scimCall("POST", "/Users", {
          schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
          userName: email,
          externalId: sub,
          name: { givenName: "Bench", familyName: sub },
          emails: [{ value: email, primary: true }],
          active: true,
        });
        await scimCall("PATCH", `/Groups/${scimGroup!.id}`, {
          schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
          Operations: [{ op: "add", path: "members", value: [{ value: created!.id }] }],
        });
        return { sub, scimId: created!.id, ...(await mintSession({ sub, email, name: sub, groups: [group] })) };
      }
      return { sub, scimId: null, ...(await mintSession({ sub, email, name: sub, groups: [group] })) };
    };

    const results = new Map<string, number[]>();
    const add = (key: string, ms: number) => results.set(key, [...(results.get(key) ?? []), ms]);
    /** Trials over the target, by leg: "#index ms", to tell a warm-up from a tail. */
    const slow = new Map<string, string[]>();
    const misses = new Map<string, number>();

    for (const source of Object.keys(LEGS) as TSource[]) {
      say(`${source}: ${TRIALS} trials`);
      for (let index = 0; index < TRIALS; index += 1) {
        const someone = await person(source, index);
        const user = await db.user.findUniqueOrThrow({ where: { id: someone.userId } });
        const actor = {
          kind: "user" as const,
          userId: user.id,
          sessionId: someone.sessionId,
          email: user.email ?? "",
          name: user.name,
          groups: user.groups,
          roles: rolesForGroups(user.groups),
        };
        const { requestId } = await requestAccess({
          actor,
          input: { policyId: policy.id, permissions: ["read"], durationMinutes: 60, justification: "bench: signals" },
        });
        const grant = await db.grant.findUniqueOrThrow({ where: { requestId } });
        const subject = `${config.oidc.issuer}#${someone.sub}`;
        const ready = Date.now() + GIVE_UP_MS;
        while ((await allowed(subject)) !== true && Date.now() < ready) await sleep(20);
        const page = await getPage(someone.cookie, "/");
        if (page.status !== 200)
          throw new Error(`${source}: the person's page answered ${page.status} before the event`);

        const sentAt = Date.now();
        const sent =
          source === "scim"
            ? scimCall("PATCH", `/Users/${someone.scimId}`, {
                schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                Operations: [{ op: "replace", value: { active: false } }],
              })
            : source === "caep"
              ? pushSet(someone.sub, "https://schemas.openid.net/secevent/caep/event-type/session-revoked", {
                  event_timestamp: Math.floor(sentAt / 1000),
                })
              : timedFetch(`${API_URL}/api/v1/signals`, {
                  method: "POST",
                  headers: api,
                  body: JSON.stringify({
                    subject,
                    resource: resourceKey,
                    metric: "rows_read",
                    value: 50_000,
                    window: "PT1M",
                  }),
                });
        const probes: Record<TLeg, () => Promise<boolean>> = {
          page: async () => {
            const answer = await getPage(someone.cookie, "/");
            return (
              answer.status >= 300 && answer.status < 400 && (answer.headers.get("location") ?? "").includes("/signin")
            );
          },
          check: async () => (await allowed(subject)) === false,
          deprovision: async () => revokedAt(grant.id) !== null,
        };
        await Promise.all([
          sent,
          ...LEGS[source].map(async (leg) => {
            const key = `${source} -> ${leg}`;
            while (Date.now() - sentAt < GIVE_UP_MS) {
              if (await probes[leg]()) {
                const ms = (leg === "deprovision" ? revokedAt(grant.id)! : Date.now()) - sentAt;
                add(key, ms);
                if (ms >= TARGET_P99_MS) slow.set(key, [...(slow.get(key) ?? []), `#${index} ${ms} ms`]);
                return;
              }
              await sleep(PROBE_EVERY_MS);
            }
            misses.set(key, (misses.get(key) ?? 0) + 1);
          }),
        ]);
      }
    }

    // ---- throughput: signals next to checks -------------------------------------------------
    const loadOf = async (url: string, bodies: string[]) => {
      const result = await autocannon({
        url,
        method: "POST",
        connections: 32,
        duration: DURATION,
        headers: api,
        requests: bodies.map((body) => ({ method: "POST", body })),
      });
      return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
    };
    const people = await db.user.findMany({ where: { deactivatedAt: null, groups: { has: group } }, take: 50 });
    const bodiesFor = (make: (subject: string, i: number) => object) =>
      people.map((one, i) => JSON.stringify(make(`${one.issuer}#${one.subject}`, i)));
    say(`throughput: POST /api/v1/access/check for ${DURATION} s`);
    const checks = await loadOf(
      `${API_URL}/api/v1/access/check`,
      bodiesFor((subject) => ({ subject, resource: resourceKey, permission: "read" })),
    );
    say(`throughput: POST /api/v1/signals for ${DURATION} s (observations under the ceiling)`);
    const signals = await loadOf(
      `${API_URL}/api/v1/signals`,
      bodiesFor((subject, i) => ({
        subject,
        resource: resourceKey,
        metric: "rows_read",
        value: 10 + (i % 7),
        window: "PT1M",
      })),
    );

    // ---- report -----------------------------------------------------------------------------
    console.log("");
    console.log(
      `bench:signals, ${TRIALS} trials per source; load average at start ${load.map((v) => v.toFixed(1)).join(" ")}, at end ${os
        .loadavg()
        .map((v) => v.toFixed(1))
        .join(" ")}`,
    );
    let met = true;
    for (const [key, values] of results) {
      const s: TStats | null = stats(values);
      if ((s?.p99 ?? Infinity) >= TARGET_P99_MS) met = false;
      console.log(formatStats(key, s));
    }
    for (const [key, trials] of slow) console.log(`${key}: over ${TARGET_P99_MS} ms in trial ${trials.join(", ")}`);
    for (const [key, count] of misses) {
      met = false;
      console.log(`${key}: ${count} trial(s) not seen within ${GIVE_UP_MS} ms`);
    }
    const line = (label: string, l: { rps: number; p50: number; p99: number; non2xx: number }) =>
      console.log(
        `${label.padEnd(34)} ${l.rps.toFixed(0).padStart(7)} req/s  p50=${l.p50} ms  p99=${l.p99} ms  non-2xx ${l.non2xx}`,
      );
    line("POST /api/v1/access/check", checks);
    line("POST /api/v1/signals", signals);
    console.log(`target p99 < ${TARGET_P99_MS} ms for every leg: ${met ? "met" : "NOT met"}; logs in ${logDir}`);
    return met ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
