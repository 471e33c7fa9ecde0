/**
 * Drill 4: the identity provider stops. People already signed in keep working (pages and
 * server actions: sessions live in PostgreSQL, lib/auth/session.ts) until their session ends;
 * a new sign-in gets a clear page naming the identity provider (not a 500, not a hang); once
 * the IdP is back, signing in works again. Sign-in goes through the IdP over plain HTTP with a
 * cookie jar, as a browser does: next-auth's sign-in POST, the IdP's authorize endpoint and
 * login form (e2e/support/idp-server.ts), the callback.
 */
import { sleep } from "../support";
import { callAction, formData, getPage, SESSION_COOKIE, timedFetch, type TAnswer } from "./http";
import type { TDrillContext, TDrillResult } from "./index";
import { APP_URL } from "./stack";

/** A browser's cookies for localhost (cookies ignore ports, so the app's and the IdP's share it). */
class Jar {
  private readonly cookies = new Map<string, string>();
  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const index = pair.indexOf("=");
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some(
        (attribute) =>
          /^\s*max-age=0\s*$/i.test(attribute) ||
          (/^\s*expires=/i.test(attribute) && Date.parse(attribute.split("=")[1] ?? "") < Date.now()),
      );
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

type TSignIn = { ok: boolean; ms: number; statuses: number[]; finalUrl: string; message: string; jar: Jar };

const SIGN_IN_BOUND_MS = 10_000;

/** Signs in as `sub` by following every redirect by hand; stops at the first page that is not a redirect. */
const signIn = async (sub: string): Promise<TSignIn> => {
  const started = Date.now();
  const jar = new Jar();
  const statuses: number[] = [];
  const step = async (url: string, init: RequestInit = {}): Promise<TAnswer> => {
    const answer = await timedFetch(
      url,
      { ...init, headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } },
      SIGN_IN_BOUND_MS,
    );
    statuses.push(answer.status);
    jar.store(answer.headers);
    return answer;
  };
  const csrf = await step(`${APP_URL}/api/auth/csrf`);
  const csrfToken = csrf.status === 200 ? (JSON.parse(csrf.body) as { csrfToken: string }).csrfToken : "";
  // What next-auth/react's signIn() posts from the sign-in button.
  const start = await step(`${APP_URL}/api/auth/signin/oidc`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: APP_URL },
    body: new URLSearchParams({ csrfToken, callbackUrl: `${APP_URL}/`, json: "true" }).toString(),
  });
  let url = start.status === 200 ? (JSON.parse(start.body) as { url: string }).url : `${APP_URL}/`;
  let last: TAnswer = start;
  for (let hops = 0; hops < 15; hops += 1) {
    last = await step(url);
    if (last.status >= 300 && last.status < 400) {
      url = new URL(last.headers.get("location") ?? "/", url).toString();
      continue;
    }
    // The IdP's login form: pick the person.
    const form = /action="(\/interaction\/[^"]+\/login)"/.exec(last.body);
    if (last.status === 200 && form?.[1]) {
      const login = await step(new URL(form[1].replace(/&amp;/g, "&"), url).toString(), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ sub }).toString(),
      });
      url = new URL(login.headers.get("location") ?? "/", url).toString();
      continue;
    }
    break;
  }
  const message = /role="alert"[^>]*>([^<]*)</.exec(last.body)?.[1]?.trim() ?? "";
  const ok = jar.get(SESSION_COOKIE) !== undefined && last.status === 200 && last.body.includes("signed-in-as");
  return { ok, ms: Date.now() - started, statuses, finalUrl: url, message, jar };
};

export const idpDrill = async ({ stack, say }: TDrillContext): Promise<TDrillResult> => {
  const { db } = await import("../../lib/db");
  const { DEMO_USERS } = await import("../../lib/dev-idp/demo-users");
  const alice = DEMO_USERS.find((user) => user.email === "alice@example.com");
  if (!alice) throw new Error("no demo user alice");
  const policy = await db.accessPolicy.findFirstOrThrow({
    where: { name: "read", resource: { key: "prod-postgres" } },
    select: { id: true },
  });
  const violations: string[] = [];
  const table: Array<Record<string, string | number>> = [];

  const before = await signIn(alice.sub);
  say(
    `sign-in through the IdP while it is up: ${before.ok ? "ok" : "FAILED"} in ${before.ms} ms (${before.statuses.join(" ")})`,
  );
  if (!before.ok)
    throw new Error(`could not sign in with the IdP up: ${before.statuses.join(" ")} at ${before.finalUrl}`);
  const cookie = `${SESSION_COOKIE}=${before.jar.get(SESSION_COOKIE)}`;

  await stack.stopIdp();
  const idpDown = await timedFetch(`${stack.env.OIDC_ISSUER}/.well-known/openid-configuration`, {}, 2_000);
  say(`IdP stopped (its discovery document now answers ${idpDown.status || idpDown.error})`);

  // Signed-in people keep working: pages and a server action (request, then cancel).
  const work = { pages: 0, pagesOk: 0, actions: 0, actionsOk: 0 };
  for (let round = 0; round < 10; round += 1) {
    for (const path of ["/", "/request", "/notifications"]) {
      const page = await getPage(cookie, path);
      work.pages += 1;
      if (page.status === 200 && page.body.includes("signed-in-as")) work.pagesOk += 1;
    }
    if (round % 2 === 0) {
      const created = await callAction(cookie, "app/(portal)/request/[resourceKey]/actions.ts#requestAccessAction", [
        null,
        formData({
          policyId: policy.id,
          permissions: ["read"],
          durationMinutes: "30",
          justification: "fault drill: identity provider down",
          tzOffsetMinutes: "0",
        }),
      ]);
      const id = /^\/requests\/([^/?;]+)/.exec(created.redirect ?? "")?.[1];
      const cancelled = id
        ? await callAction(cookie, "app/(portal)/requests/[id]/actions.ts#cancelRequestAction", [id])
        : undefined;
      work.actions += 2;
      work.actionsOk += (id ? 1 : 0) + (cancelled?.body.includes('"ok":true') ? 1 : 0);
    }
    await sleep(200);
  }
  table.push({ check: "signed-in pages while the IdP is down", result: `${work.pagesOk}/${work.pages} ok` });
  table.push({
    check: "signed-in server actions while the IdP is down",
    result: `${work.actionsOk}/${work.actions} ok`,
  });
  if (work.pagesOk !== work.pages)
    violations.push(`${work.pages - work.pagesOk} signed-in page loads failed while the IdP was down`);
  if (work.actionsOk !== work.actions)
    violations.push(`${work.actions - work.actionsOk} signed-in actions failed while the IdP was down`);

  // New sign-ins: a clear page naming the identity provider, quickly, never a 500.
  const attempts = [];
  for (let attempt = 0; attempt < 5; attempt += 1) attempts.push(await signIn(alice.sub));
  const clear = attempts.filter(
    (attempt) => /identity provider/i.test(attempt.message) && attempt.finalUrl.includes("/signin"),
  ).length;
  const errors = attempts
    .flatMap((attempt) => attempt.statuses)
    .filter((status) => status === 0 || status >= 500).length;
  const slowest = Math.max(...attempts.map((attempt) => attempt.ms));
  table.push({
    check: "new sign-ins while the IdP is down",
    result: `${attempts.filter((attempt) => attempt.ok).length}/${attempts.length} signed in; ${clear} shown "${attempts[0]?.message ?? ""}"`,
  });
  table.push({
    check: "  answers on the way (status codes)",
    result: [...new Set(attempts.map((attempt) => attempt.statuses.join(" ")))].join(" | "),
  });
  table.push({ check: "  slowest attempt", result: `${slowest} ms` });
  if (attempts.some((attempt) => attempt.ok))
    violations.push("a sign-in succeeded with the IdP down (impossible: what signed it?)");
  if (clear !== attempts.length)
    violations.push(
      `${attempts.length - clear} failed sign-ins did not end on the sign-in page naming the identity provider`,
    );
  if (errors > 0) violations.push(`${errors} answers were 5xx or no answer during failed sign-ins`);
  if (slowest > SIGN_IN_BOUND_MS) violations.push(`a failed sign-in took ${slowest} ms`);

  // The session ends (its lifetime reached): the person is sent to sign in, which says the IdP is down.
  await db.session.updateMany({
    where: { user: { email: alice.email }, revokedAt: null },
    data: { expiresAt: new Date(Date.now() - 1_000) },
  });
  const ended = await getPage(cookie, "/");
  const endedLocation = ended.headers.get("location") ?? "";
  table.push({ check: "signed-in page after the session's end", result: `${ended.status} -> ${endedLocation}` });
  if (!(ended.status >= 300 && ended.status < 400 && endedLocation.includes("/signin")))
    violations.push(
      `after the session ended the page answered ${ended.status} ${endedLocation} instead of a redirect to sign-in`,
    );

  await stack.startIdp();
  const after = await signIn(alice.sub);
  table.push({ check: "sign-in after the IdP is back", result: `${after.ok ? "ok" : "FAILED"} in ${after.ms} ms` });
  if (!after.ok)
    violations.push(
      `sign-in after the IdP came back failed: ${after.statuses.join(" ")} at ${after.finalUrl} "${after.message}"`,
    );
  const failedAudits = await db.auditEvent.count({ where: { action: "auth.sign_in", outcome: "ERROR" } });

  return {
    name: "idp",
    table,
    numbers: {
      signedInPages: work.pages,
      signedInActions: work.actions,
      failedSignInAttempts: attempts.length,
      failedSignInsAudited: failedAudits,
      slowestFailedSignInMs: slowest,
    },
    violations,
  };
};
