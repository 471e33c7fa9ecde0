/**
 * Accessibility: axe-core (WCAG 2.1 A and AA rules) on every page of the authorization matrix,
 * as the first role that may see it, with the matrix's own fixtures (so pages with an id show
 * a real object). No serious or critical violation is allowed.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { disconnectDb } from "../../lib/db";
import { setUpMatrix, type TMatrixWorld } from "./fixtures";
import { MATRIX, PEOPLE, type TRole } from "./matrix";

const ROLES_TO_TRY: readonly TRole[] = [...PEOPLE, "anonymous"];

let world: TMatrixWorld;

test.describe("accessibility (axe) of every page in the matrix", () => {
  test.beforeAll(async ({ browser }, testInfo) => {
    testInfo.setTimeout(120_000);
    world = await setUpMatrix(browser);
  });

  test.afterAll(async () => {
    await world?.close();
    await disconnectDb();
  });

  for (const row of MATRIX) {
    if (row.kind !== "page") continue;
    const role = ROLES_TO_TRY.find((candidate) => row.cells[candidate] === "ok");
    if (!role) continue;
    test(`${row.route}: ${row.name}, as ${role}`, async ({ browser }) => {
      const context = await browser.newContext({ storageState: await world.roles[role].request.storageState() });
      try {
        const page = await context.newPage();
        const response = await page.goto(row.path(world.fx));
        expect(response?.status()).toBe(200);
        const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
        const serious = results.violations
          .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
          .map(
            (violation) =>
              `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes
                .slice(0, 3)
                .map((node) => node.target.join(" "))
                .join("; ")})`,
          );
        expect(serious).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
