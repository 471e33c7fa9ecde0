import { expect, test } from "@playwright/test";
import { signInAs } from "./support/sign-in";

// A reader in Tokyo (UTC+9, no daylight saving): every instant stays in UTC, with theirs beside it.
test.use({ timezoneId: "Asia/Tokyo" });

test("times a person acts on read in UTC with the reader's own time beside them", async ({ page }) => {
  await signInAs(page, "Tomo Tokyo", "/request/prod-postgres");
  await page.getByRole("radio", { name: /^read/ }).check();
  await page.getByLabel("Justification").fill("Check the replication lag the on-call page reported");
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page).toHaveURL(/\/requests\/[\w-]+$/);

  await page.goto("/");
  const until = page.getByRole("list", { name: "Active grants" }).getByTestId("when");
  const utc = await until.getAttribute("datetime");
  expect(utc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const end = new Date(utc as string);
  const tokyo = new Date(end.getTime() + 9 * 3_600_000);
  const hhmm = (date: Date) => date.toISOString().slice(11, 16);
  await expect(until).toContainText(`${end.toISOString().slice(0, 10)} ${hhmm(end)} UTC`);
  const sameDay = tokyo.toISOString().slice(0, 10) === end.toISOString().slice(0, 10);
  const month = tokyo.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  await expect(until).toContainText(
    sameDay ? `(${hhmm(tokyo)} your time)` : `(${month} ${tokyo.getUTCDate()}, ${hhmm(tokyo)} your time)`,
  );
});
