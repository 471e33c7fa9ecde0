/**
 * The production build under a flood of unauthenticated requests (ADR 0024): garbage session
 * cookies at `GET /api/auth/session` (next-auth logs JWT_SESSION_ERROR for each) and token
 * requests with random client ids through the portal's origin. Nothing anonymous is written one
 * event per request; the web's aggregate counts every garbage cookie, with the client's address
 * as the web server's hook decided it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { APP_URL, UNAUTHENTICATED_AUDIT_WINDOW_SECONDS } from "./support/env";

test.afterAll(disconnectDb);

const COOKIES = 2_000;
const TOKENS = 300;

const inParallel = async (count: number, concurrency: number, call: () => Promise<number>) => {
  const statuses: Record<number, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) {
        const status = await call();
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
};

test("garbage session cookies and random-id token requests are counted per address, not written one by one", async () => {
  test.setTimeout(300_000);
  const head = await db.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true } });
  const started = new Date();
  const sessions = await inParallel(COOKIES, 8, async () => {
    const garbage = Array.from({ length: 5 }, () => randomBytes(12).toString("base64url")).join(".");
    const res = await fetch(`${APP_URL}/api/auth/session`, {
      headers: { cookie: `next-auth.session-token=${garbage}` },
    });
    expect(await res.json()).toEqual({});
    return res.status;
  });
  expect(sessions).toEqual({ 200: COOKIES });
  const tokens = await inParallel(TOKENS, 8, async () => {
    const res = await fetch(`${APP_URL}/api/v1/oauth/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${randomUUID()}:jcs_${randomBytes(8).toString("hex")}`).toString("base64")}`,
      },
      body: "grant_type=client_credentials",
    });
    await res.arrayBuffer();
    return res.status;
  });
  expect(Object.keys(tokens).every((status) => ["401", "429", "503"].includes(status))).toBe(true);

  // Once the web's window has passed, its aggregate is in the log.
  await new Promise((resolve) => setTimeout(resolve, (UNAUTHENTICATED_AUDIT_WINDOW_SECONDS + 2) * 1000));
  const events = await db.auditEvent.findMany({
    where: { seq: { gt: head?.seq ?? 0n }, occurredAt: { gte: started }, actorType: "ANONYMOUS" },
    select: { action: true, reason: true, details: true },
  });
  expect(events.filter((event) => !event.action.endsWith(".aggregate"))).toEqual([]);
  expect(events.length).toBeLessThanOrEqual(20);
  const garbageCookies = events.filter(
    (event) => event.action === "auth.sign_in.aggregate" && event.reason === "JWT_SESSION_ERROR",
  );
  const counted = garbageCookies.reduce((sum, event) => sum + (event.details as { count: number }).count, 0);
  expect(counted).toBeGreaterThanOrEqual(COOKIES);
  const sources = garbageCookies.flatMap((event) => (event.details as { sources: Array<{ ip: string }> }).sources);
  expect(sources.map((source) => source.ip)).toContain("127.0.0.1");
});
