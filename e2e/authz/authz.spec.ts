/**
 * Authorization everywhere (issue 7): every cell of e2e/authz/matrix.ts against the running
 * production build, and the table checked against the build itself, so a page, route
 * handler, server action or services-API route without a row fails here, as does a row
 * whose route is gone. See docs/decisions/0018-authorization-matrix.md.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { API_ROUTES } from "../../api/routes";
import { db, disconnectDb } from "../../lib/db";
import { serverActions, type TActionAnswer } from "../support/server-actions";
import { callAction, setUpMatrix, type TMatrixWorld, type TRoleClient } from "./fixtures";
import { MATRIX, PEOPLE, ROLES, type TActionRow, type TApiRow, type TRole, type TRow } from "./matrix";

const APP_PATHS = path.resolve(import.meta.dirname, "../../.next/server/app-paths-manifest.json");

/** `/(portal)/requests/[id]/page` → `page /requests/[id]`. */
const buildRoutes = (): string[] => {
  const manifest = JSON.parse(readFileSync(APP_PATHS, "utf8")) as Record<string, string>;
  return Object.keys(manifest).map((key) => {
    const kind = key.endsWith("/route") ? "route" : "page";
    const route = key
      .replace(/\/(page|route)$/, "")
      .split("/")
      .filter((segment) => !/^\(.*\)$/.test(segment))
      .join("/");
    return `${kind} ${route || "/"}`;
  });
};

const rowKey = (row: TRow): string =>
  row.kind === "action" ? `action ${row.action}` : row.kind === "api" ? `api ${row.route}` : `${row.kind} ${row.route}`;

/** Missing rows and stale rows, named. */
const compare = (inBuild: readonly string[], inTable: readonly string[]) => ({
  withoutRow: [...new Set(inBuild)].filter((key) => !inTable.includes(key)).sort(),
  notInBuild: [...new Set(inTable)].filter((key) => !inBuild.includes(key)).sort(),
});

test.describe("the matrix covers the build", () => {
  test("every page and route handler has a row, and every row's route exists", () => {
    const table = MATRIX.filter((row) => row.kind === "page" || row.kind === "route").map(rowKey);
    expect(compare(buildRoutes(), table)).toEqual({ withoutRow: [], notInBuild: [] });
  });

  test("every server action has a row, and every row's action exists", () => {
    const table = MATRIX.filter((row) => row.kind === "action").map(rowKey);
    expect(
      compare(
        serverActions().map((action) => `action ${action.key}`),
        table,
      ),
    ).toEqual({ withoutRow: [], notInBuild: [] });
  });

  test("every services-API route has a row, and every row's route exists", () => {
    const table = MATRIX.filter((row) => row.kind === "api").map(rowKey);
    expect(
      compare(
        Object.keys(API_ROUTES).map((route) => `api ${route}`),
        table,
      ),
    ).toEqual({ withoutRow: [], notInBuild: [] });
  });
});

// --- outcomes, as observed --------------------------------------------------------------

const SESSION_ENDED = "Your session has ended. Sign in again.";

const pageOutcome = async (request: APIRequestContext, url: string): Promise<string> => {
  const response = await request.get(url, { maxRedirects: 0, failOnStatusCode: false });
  const status = response.status();
  if (status === 200) return "ok";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 500) return "server_error";
  const location = response.headers().location ?? "";
  if (status >= 300 && status < 400) {
    const target = new URL(location, "http://x").pathname;
    return target === "/signin" ? "signin" : target === "/" ? "home" : `redirect to ${location}`;
  }
  return `status ${status}`;
};

const actionOutcome = (answer: TActionAnswer): string => {
  if (answer.redirect) return new URL(answer.redirect, "http://x").pathname === "/signin" ? "unauthenticated" : "ok";
  if (answer.status !== 200) return `status ${answer.status}`;
  const result = answer.result as
    { ok?: boolean; status?: string; message?: string; fields?: Record<string, string> } | null | undefined;
  if (!result || typeof result !== "object") return `answer ${JSON.stringify(result)}`;
  const message = result.message ?? "";
  if (message === SESSION_ENDED) return "unauthenticated";
  if (result.ok === true || result.status === "done") return "ok";
  if (/not allowed|not eligible/i.test(message)) return "forbidden";
  if (/^No (such|resource|failed)/.test(message)) return "not_found";
  const fields = result.fields ?? {};
  if (fields.stepUp || fields.passkey || fields.reauth || fields.assertion) return "step_up";
  if (/no longer|already|conflict/i.test(message)) return "conflict";
  return `invalid (${message})`;
};

const API_URL = (() => {
  const app = new URL(
    process.env.E2E_APP_PORT ? `http://localhost:${process.env.E2E_APP_PORT}` : "http://localhost:3100",
  );
  return `http://127.0.0.1:${Number(app.port) + 2}`;
})();

/** Through the portal's origin where it proxies (so people's cookies are sent), else to the API server. */
const apiStatus = async (row: TApiRow, world: TMatrixWorld, client: TRoleClient): Promise<number> => {
  const proxied = row.route.startsWith("/api/v1/") || row.route === "/.well-known/jwks.json";
  const url = `${proxied ? "" : API_URL}${row.path(world.fx)}`;
  if (row.clientCredentials) {
    const basic: Record<string, string> = client.credentials
      ? {
          authorization: `Basic ${Buffer.from(`${client.credentials.clientId}:${client.credentials.clientSecret}`).toString("base64")}`,
        }
      : {};
    const response = await client.request.post(url, {
      headers: { ...basic, "content-type": "application/x-www-form-urlencoded" },
      data: "grant_type=client_credentials",
      failOnStatusCode: false,
    });
    return response.status();
  }
  const body = row.body?.(world.fx);
  const response =
    row.method === "GET"
      ? await client.request.get(url, { maxRedirects: 0, failOnStatusCode: false })
      : await client.request.post(url, { data: body, maxRedirects: 0, failOnStatusCode: false });
  return response.status();
};

/** The row's arguments, with a real passkey assertion where the row asks for one and the role can make it. */
const confirmedArgs = async (row: TActionRow, world: TMatrixWorld, client: TRoleClient): Promise<unknown[]> => {
  const args = row.args(world.fx);
  const confirm = row.confirmWith;
  if (!confirm || !client.authenticator) return args;
  const started = (await callAction(client.request, confirm.action, confirm.args(world.fx))).result as
    { ok?: boolean; options?: unknown } | undefined;
  if (started?.ok !== true || !started.options) return args;
  const assertion = client.authenticator.assert(
    started.options as Parameters<NonNullable<TRoleClient["authenticator"]>["assert"]>[0],
  );
  const [first, ...rest] = args;
  return [{ ...(first as Record<string, unknown>), [confirm.field]: assertion }, ...rest];
};

/** Refusals an authorization decision made are in the audit log (DESIGN invariant 6). */
const deniedEvents = async (userId: string | null): Promise<number> =>
  userId ? db.auditEvent.count({ where: { actorType: "USER", actorId: userId, outcome: "DENIED" } }) : 0;

const expectsAudit = (row: TRow, expected: string | number): boolean =>
  expected === "forbidden" ||
  expected === 403 ||
  (row.kind === "action" && row.auditsNotFound === true && expected === "not_found");

const observe = async (row: TRow, world: TMatrixWorld, client: TRoleClient): Promise<string | number> => {
  switch (row.kind) {
    case "page": {
      const outcome = await pageOutcome(client.request, row.path(world.fx));
      const person = PEOPLE.find((candidate) => world.roles[candidate] === client);
      if (outcome !== "ok" || !row.content || !person) return outcome;
      // What the page shows this person: theirs, and nothing of anybody else's.
      const body = await (await client.request.get(row.path(world.fx))).text();
      const { shows, hides } = row.content(person);
      const wrong = [
        ...shows.filter((text) => !body.includes(text)).map((text) => `does not show "${text}"`),
        ...hides.filter((text) => body.includes(text)).map((text) => `shows "${text}"`),
      ];
      return wrong.length > 0 ? `ok, but ${wrong.join("; ")}` : outcome;
    }
    case "route": {
      const response = await client.request.get(row.path(world.fx), { maxRedirects: 0, failOnStatusCode: false });
      return response.status();
    }
    case "action":
      return actionOutcome(await callAction(client.request, row.action, await confirmedArgs(row, world, client)));
    case "api":
      return apiStatus(row, world, client);
  }
};

let world: TMatrixWorld;

// One worker runs these in order (rows rely on that: pages read objects that later actions
// change). Not serial mode, so one failing row does not hide the others; after a failure
// Playwright starts a new worker and the fixtures are made afresh.
test.describe("every cell", () => {
  test.beforeAll(async ({ browser }, testInfo) => {
    testInfo.setTimeout(120_000);
    world = await setUpMatrix(browser);
  });

  test.afterAll(async () => {
    await world?.close();
    await disconnectDb();
  });

  for (const row of MATRIX) {
    test(`${rowKey(row)}: ${row.name}`, async () => {
      const cells = row.cells as Record<TRole, string | number>;
      // Refusals first, then the cells that may change things (so a refusal meets the object
      // untouched), then conflicts (which meet what the ok cells left).
      const rank = (role: TRole) =>
        cells[role] === "conflict" ? 2 : cells[role] === "ok" || cells[role] === 200 ? 1 : 0;
      const order = [...ROLES].sort((a, b) => rank(a) - rank(b));
      const problems: string[] = [];
      const probe = row.kind === "action" ? row.unchanged : undefined;
      const before = probe ? JSON.stringify(await probe(world.fx, db)) : null;
      let checkedUnchanged = false;
      for (const role of order) {
        const expected = cells[role];
        if (probe && !checkedUnchanged && (expected === "ok" || expected === 200)) {
          checkedUnchanged = true;
          const now = JSON.stringify(await probe(world.fx, db));
          if (now !== before) problems.push(`a refusal changed state: ${before} → ${now}`);
        }
        const client = world.roles[role];
        const deniedBefore = expectsAudit(row, expected) ? await deniedEvents(client.userId) : 0;
        const actual = await observe(row, world, client);
        // "invalid" cells match any refusal for bad input; the answer keeps its reason for the report.
        const matches = actual === expected || (expected === "invalid" && String(actual).startsWith("invalid ("));
        if (!matches) problems.push(`${role}: expected ${expected}, got ${actual}`);
        else if (
          client.userId &&
          role !== "deactivated" &&
          expectsAudit(row, expected) &&
          (await deniedEvents(client.userId)) <= deniedBefore
        ) {
          problems.push(`${role}: refused (${expected}) but no DENIED audit event was written`);
        }
      }
      if (probe && !checkedUnchanged) {
        const now = JSON.stringify(await probe(world.fx, db));
        if (now !== before) problems.push(`a refusal changed state: ${before} → ${now}`);
      }
      if (row.kind === "action" && row.after) {
        try {
          await row.after(world.fx, db);
        } catch (error) {
          problems.push(error instanceof Error ? error.message : String(error));
        }
      }
      expect(problems).toEqual([]);
    });
  }
});
