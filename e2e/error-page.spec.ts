/**
 * A page that fails while rendering (most often: the database went away in the middle of it,
 * ADR 0021) shows the portal's error page (app/error.tsx), not Next's blank one: what
 * happened in words, a way to try again, and the reference the server logged, and nothing
 * of the error itself. The failure is real: a second production server from the same build,
 * pointed at an empty PostgreSQL database, so the session lookup every page makes fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { encode } from "next-auth/jwt";
import { STANDALONE_SERVER } from "../lib/cli/run";
import { dropDatabase, ensureDatabase } from "../lib/db/ensure-database";
import { APP_PORT, appEnvFor, IDP_PORT } from "./support/env";

const PORT = APP_PORT + 7;
const URL_ = `http://localhost:${PORT}`;
const base = new URL(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
base.pathname = `/jit_e2e_empty_${randomBytes(4).toString("hex")}`;
const EMPTY_DATABASE = base.toString();

let server: ChildProcess | undefined;
let log = "";

test.beforeAll(async () => {
  await ensureDatabase(EMPTY_DATABASE);
  server = spawn(process.execPath, [STANDALONE_SERVER], {
    env: {
      ...process.env,
      ...appEnvFor({ app: PORT, idp: IDP_PORT }),
      HOSTNAME: "127.0.0.1",
      DATABASE_URL: EMPTY_DATABASE,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  server.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  // The server's log may be coloured (util.inspect): compare it without its escape codes.
  await expect.poll(() => log.replace(/\u001b\[[0-9;]*m/g, ""), { timeout: 20_000 }).toContain("Ready");
});

test.afterAll(async () => {
  server?.kill();
  await dropDatabase(EMPTY_DATABASE);
});

test("a page whose rendering fails shows the portal's error page with the logged reference, and no details", async ({
  page,
  context,
}) => {
  const { AUTH_SECRET } = appEnvFor({ app: PORT, idp: IDP_PORT });
  const token = await encode({ token: { sid: randomUUID() }, secret: AUTH_SECRET as string, maxAge: 3600 });
  await context.addCookies([{ name: "next-auth.session-token", value: token, url: URL_ }]);
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });

  const response = await page.goto(`${URL_}/security`);
  expect(response?.status()).toBe(500);
  await expect(page.getByRole("heading", { name: "This page could not be shown" })).toBeVisible();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("Try again in a moment");
  const reference = /Reference: (\d+)/.exec(await page.locator("main").innerText())?.[1];
  expect(reference, "the page names a reference").toBeTruthy();
  // The server's log may be coloured (util.inspect): compare it without its escape codes.
  await expect
    .poll(() => log.replace(/\u001b\[[0-9;]*m/g, ""), {
      message: "the reference is the digest the server logged with the error",
    })
    .toContain(`digest: '${reference}'`);
  const text = await page.locator("body").innerText();
  for (const leak of ["Prisma", "Session", "does not exist", "findUnique", ".js:"]) expect(text).not.toContain(leak);
  expect(violations, "the error page runs under the nonce CSP").toEqual([]);

  // Try again re-renders (and fails the same way here); Back to My access is a way out.
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(page.getByRole("heading", { name: "This page could not be shown" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Back to My access" })).toHaveAttribute("href", "/");
});
