/**
 * The `jit` CLI from a real terminal (tmux, a pseudo-terminal): `npx jit login` shows a code
 * that Tess confirms in the browser through the real IdP; `jit request ... --wait` waits (long
 * polling) while Dmitri approves with a passkey; `jit psql` runs the real psql against the
 * real target database with the one-time credential in its environment; `jit end` ends the
 * grant and the same psql command is refused.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { createPostgresTarget, type TPostgresTarget } from "../lib/testing/postgres-target";
import { APP_URL } from "./support/env";
import { registerPasskey } from "./support/passkeys";
import { signInAs } from "./support/sign-in";

const CONNECTOR = "e2e cli target";
const SOCKET = `jit-e2e-${process.pid}`;
const SESSION = "jit";
let target: TPostgresTarget;
let configDir: string;

const tmux = (...args: string[]): string => execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
const screen = (): string => tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", SESSION);
const type = (line: string): void => {
  tmux("send-keys", "-t", SESSION, "-l", line);
  tmux("send-keys", "-t", SESSION, "Enter");
};
/** The screen once `pattern` shows on it; its match. */
const waitFor = async (pattern: RegExp, timeout = 30_000): Promise<RegExpMatchArray> => {
  let match: RegExpMatchArray | null = null;
  try {
    await expect
      .poll(
        () => {
          match = screen().match(pattern);
          return match !== null;
        },
        { timeout, message: `terminal never showed ${pattern}` },
      )
      .toBe(true);
  } catch (error) {
    // What the terminal did show instead is the whole diagnosis.
    throw new Error(`terminal never showed ${pattern}; the screen:\n${screen()}`, { cause: error });
  }
  return match as unknown as RegExpMatchArray;
};
/** What the terminal showed, command by command: the README's recorded session comes from here. */
const transcript: string[] = [];
const clear = () => {
  transcript.push(screen().replace(/\n+$/, ""));
  tmux("send-keys", "-t", SESSION, "clear", "Enter");
};

test.beforeAll(async () => {
  target = await createPostgresTarget();
  configDir = mkdtempSync(path.join(tmpdir(), "jit-cli-e2e-"));
  tmux(
    "new-session",
    "-d",
    "-s",
    SESSION,
    "-x",
    "220",
    "-y",
    "60",
    "-e",
    `JIT_CONFIG_DIR=${configDir}`,
    "-e",
    `JIT_PORTAL=${APP_URL}`,
    // The journey checks the 0600 file; the keychain has its own tests (cli/jit.integration.test.ts).
    "-e",
    "JIT_KEYCHAIN=off",
    "-c",
    process.cwd(),
  );
});
test.afterAll(async () => {
  try {
    tmux("kill-server");
  } catch {
    // already gone
  }
  await db.connector.deleteMany({ where: { name: CONNECTOR } });
  await target?.drop();
  await disconnectDb();
});

const personIn = async (browser: Browser, name: string, pathname: string): Promise<Page> => {
  const page = await (await browser.newContext()).newPage();
  await signInAs(page, name, pathname);
  return page;
};

test("jit login, request --wait while an approver approves, psql against the real database, end, psql refused, psql --request", async ({
  browser,
}) => {
  test.setTimeout(300_000);
  // prod-postgres gets a PostgreSQL connector, as in the provisioning journey.
  const ada = await personIn(browser, "Ada Admin", "/admin/resources/prod-postgres");
  await ada.getByRole("link", { name: "Provisioning" }).click();
  const attach = ada.getByRole("form", { name: "Attach a connector" });
  await attach.getByLabel("Kind").selectOption("postgres");
  await attach.getByLabel("Name").fill(CONNECTOR);
  await attach
    .getByLabel("Settings (JSON)")
    .fill(JSON.stringify({ adminUrl: target.adminUrl, loginRolePattern: target.loginRolePattern }));
  await attach.getByLabel("Targets for read").fill(target.readRole);
  await attach.getByLabel("Targets for write").fill(target.writeRole);
  await attach.getByLabel("Admin credential").fill(target.adminPassword);
  await attach.getByRole("button", { name: "Attach connector" }).click();
  await expect(attach.getByRole("status")).toHaveText("Connector attached.");

  // Login: the terminal shows a code; Tess confirms it in the browser, signed in through the IdP.
  type(`npx jit login --portal ${APP_URL}; echo "EXIT=$?"`);
  const [, url, code] = await waitFor(/open (http\S+\/device\?code=\S+)\s+and confirm the code ([A-Z]{4}-[A-Z]{4})/);
  expect(new URL(url as string).searchParams.get("code")).toBe(code);
  const tess = await personIn(
    browser,
    "Tess Terminal",
    new URL(url as string).pathname + new URL(url as string).search,
  );
  await expect(tess.getByLabel("Code shown in your terminal")).toHaveValue(code as string);
  await tess.getByLabel("Name this device").fill("Tess's terminal");
  await tess.getByRole("button", { name: "Sign in this device" }).click();
  await expect(tess.getByRole("status")).toHaveText("Device signed in. Go back to your terminal.");
  await waitFor(/Signed in as Tess Terminal <tess@example.com>[\s\S]*EXIT=0/);
  // Only the refresh token, in a file only Tess can read.
  const file = path.join(configDir, "credentials.json");
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(Object.keys(JSON.parse(readFileSync(file, "utf8")) as object).sort()).toEqual(["portal", "refreshToken"]);
  await tess.goto("/devices");
  await expect(tess.getByRole("table")).toContainText("Tess's terminal");

  // Request and wait; Dmitri approves with his passkey from the link the CLI printed.
  clear();
  type(
    `npx jit request prod-postgres read --for 30m --reason "Check the orders of customer 4211 for INC-77" --wait; echo "EXIT=$?"`,
  );
  const [, link] = await waitFor(/Approvers decide at (http\S+\/requests\/[\w-]+)/);
  await waitFor(/Waiting for approval/);
  const dmitri = await personIn(browser, "Dmitri Dbapprover", "/passkeys");
  await registerPasskey(dmitri, "Dmitri's CLI-journey key");
  await dmitri.goto(new URL(link as string).pathname);
  await dmitri.getByRole("button", { name: "Approve" }).click();
  await expect(dmitri.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(/Approved/);
  const [, grantId] = await waitFor(/Approved: grant ([\w-]+) active until[\s\S]*EXIT=0/);

  // psql with the grant's one-time credential: the real client against the real database.
  clear();
  type(`npx jit psql prod-postgres -- -X -At -c 'select 1 as jit_ok'; echo "EXIT=$?"`);
  await waitFor(/^1\s*$[\s\S]*EXIT=0/m, 60_000);
  expect(screen()).not.toMatch(/PGPASSWORD|postgresql:\/\//);

  clear();
  type(`npx jit status; echo "EXIT=$?"`);
  await waitFor(new RegExp(`${grantId}\\s+prod-postgres read[\\s\\S]*EXIT=0`));

  // End the grant from the terminal; the same psql command is refused.
  clear();
  type(`npx jit end ${grantId}; echo "EXIT=$?"`);
  await waitFor(/ended\.[\s\S]*EXIT=0/);
  clear();
  type(`npx jit psql prod-postgres -- -X -At -c 'select 1 as jit_ok'; echo "EXIT=$?"`);
  await waitFor(/No active grant on prod-postgres[\s\S]*EXIT=5/);

  // With --request, the same command asks for a grant, waits while Dmitri approves, then connects.
  clear();
  type(
    `npx jit psql prod-postgres --request read --for 15m --reason "Recheck the orders of customer 4211 for INC-77" -- -X -At -c 'select 2 as jit_ok'; echo "EXIT=$?"`,
  );
  const [, again] = await waitFor(/Approvers decide at (http\S+\/requests\/[\w-]+)/);
  await dmitri.goto(new URL(again as string).pathname);
  await dmitri.getByRole("button", { name: "Approve" }).click();
  await expect(dmitri.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(/Approved/);
  await waitFor(/^2\s*$[\s\S]*EXIT=0/m, 60_000);

  // Signed out from My devices: the terminal's next call is refused and it must sign in again.
  await tess.goto("/devices");
  await tess.getByRole("button", { name: "Sign out Tess's terminal" }).click();
  await expect(tess.getByText("No device is signed in.")).toBeVisible();
  clear();
  type(`npx jit whoami; echo "EXIT=$?"`);
  await waitFor(/[Rr]un `jit login`[\s\S]*EXIT=3/);

  clear();
  mkdirSync(".test-output", { recursive: true });
  writeFileSync(".test-output/jit-session.txt", `${transcript.join("\n")}\n`);
  for (const page of [ada, tess, dmitri]) await page.context().close();
});
