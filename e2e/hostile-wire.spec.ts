/**
 * Attacks on the wire, with a real server action id and a real session cookie:
 * - cross-site requests (CSRF): with a foreign Origin, with Origin "null", with no Origin but
 *   `Sec-Fetch-Site: cross-site`, each refused by proxy.ts and the database unchanged, while the
 *   same call from the portal's own origin does its work (so the refusals are the origin's);
 * - the prefetch headers (`next-router-prefetch`, `purpose: prefetch`), which the proxy's matcher
 *   once skipped: a scripted request carrying them still meets the origin check, the action-body
 *   check and the Content-Security-Policy (ADR 0030);
 * - an administrator deactivating themselves through the server action, not the hidden button.
 */
import { expect, test } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { snapshotDb, changedTables, newTrailRows } from "../lib/testing/db-digest";
import { callServerAction, formData, serverAction } from "./support/server-actions";
import { signInAs } from "./support/sign-in";

test.afterAll(async () => {
  await disconnectDb();
});

const MARK_READ = "app/(portal)/notifications/actions.ts#markAllReadAction";
const PREFETCH_HEADERS = [{ "next-router-prefetch": "1" }, { purpose: "prefetch" }] as const;

/** Nothing changed but appended rows of no consequence (the trail of a refusal is not written here). */
const expectUnchanged = async (before: Awaited<ReturnType<typeof snapshotDb>>, label: string) => {
  const after = await snapshotDb(before.trailMarks);
  expect(changedTables(before, after), `${label}: tables changed`).toEqual([]);
  const trail = await newTrailRows(before);
  expect(
    (trail.AuditEvent ?? []).filter((event) => event.outcome === "ALLOWED").map((event) => event.action),
    `${label}: an allowed change was audited`,
  ).toEqual([]);
};

test("a real server action sent cross-site with the victim's cookie is refused and changes nothing", async ({
  page,
}) => {
  await signInAs(page, "Alice Engineer");
  const alice = await db.user.findFirstOrThrow({ where: { email: "alice@example.com" } });
  const notice = await db.notification.create({
    data: { userId: alice.id, kind: "e2e.csrf", title: "CSRF probe", body: "Still unread after the attack." },
  });
  const action = serverAction(MARK_READ);
  const attacks: Array<[string, Record<string, string>]> = [
    ["a foreign Origin", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
    ["a foreign Origin without Sec-Fetch-Site", { origin: "https://evil.example" }],
    ["Origin null (a sandboxed frame)", { origin: "null", "sec-fetch-site": "cross-site" }],
    ["no Origin, Sec-Fetch-Site cross-site", { origin: "", "sec-fetch-site": "cross-site" }],
    ["no Origin, Sec-Fetch-Site same-site", { origin: "", "sec-fetch-site": "same-site" }],
    ...PREFETCH_HEADERS.map((prefetch): [string, Record<string, string>] => [
      `a foreign Origin with ${Object.keys(prefetch)[0]}`,
      { origin: "https://evil.example", "sec-fetch-site": "cross-site", ...prefetch },
    ]),
  ];
  for (const [label, headers] of attacks) {
    const before = await snapshotDb();
    const answer = await callServerAction(page.request, action, [], { headers });
    expect(answer.status, `${label}: ${answer.body.slice(0, 200)}`).toBe(403);
    expect(JSON.parse(answer.body), label).toMatchObject({ error: "cross_site_request" });
    await expectUnchanged(before, label);
    expect((await db.notification.findUniqueOrThrow({ where: { id: notice.id } })).readAt, label).toBeNull();
  }
  // The same call from the portal's own origin works: the refusals above were the origin's.
  const own = await callServerAction(page.request, action, []);
  expect(own.result).toMatchObject({ ok: true });
  expect((await db.notification.findUniqueOrThrow({ where: { id: notice.id } })).readAt).not.toBeNull();
});

test("prefetch headers do not skip the proxy: malformed action bodies are refused, pages get their CSP", async ({
  page,
}) => {
  await signInAs(page, "Hugo Hostile");
  const action = serverAction(MARK_READ);
  for (const prefetch of PREFETCH_HEADERS) {
    const label = Object.keys(prefetch)[0] as string;
    const before = await snapshotDb();
    const malformed = await callServerAction(page.request, action, [], { body: "garbage", headers: prefetch });
    expect(malformed.status, `${label}: ${malformed.body.slice(0, 200)}`).toBe(400);
    expect(JSON.parse(malformed.body), label).toMatchObject({
      error: "invalid_request",
      message: expect.stringContaining("not valid JSON"),
    });
    await expectUnchanged(before, label);
    const pageAnswer = await page.request.get("/", { headers: prefetch, failOnStatusCode: false });
    expect(pageAnswer.headers()["content-security-policy"] ?? "", `${label}: the page's CSP`).toMatch(/'nonce-/);
  }
});

test("an administrator deactivating themselves through the server action is refused by the server", async ({
  page,
}) => {
  await signInAs(page, "Ada Admin");
  const ada = await db.user.findFirstOrThrow({ where: { email: "ada@example.com" } });
  const before = await snapshotDb();
  const answer = await callServerAction(
    page.request,
    serverAction("app/(portal)/admin/actions.ts#setUserActiveAction"),
    [null, formData({ userId: ada.id, active: "false" })],
  );
  expect(answer.result).toMatchObject({ ok: false, message: expect.any(String) });
  const after = await snapshotDb(before.trailMarks);
  expect(changedTables(before, after)).toEqual([]);
  const trail = await newTrailRows(before);
  // The refusal is one authz.denied. Ada's denials earlier in the suite may add up to a burst
  // within the window, which also alerts security (lib/authz/denial-burst.ts): that event
  // depends on the suite's pace, not on this refusal, so it is left out.
  const events = (trail.AuditEvent ?? []).filter((event) => event.action !== "security.alert");
  expect(events.map((event) => [event.action, event.outcome])).toEqual([["authz.denied", "DENIED"]]);
  expect((await db.user.findUniqueOrThrow({ where: { id: ada.id } })).deactivatedAt).toBeNull();
  expect(await (await page.request.get("/api/auth/session")).json()).toMatchObject({ sid: expect.any(String) });
});
