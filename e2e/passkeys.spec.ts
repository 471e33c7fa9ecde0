import { expect, test, type Page } from "@playwright/test";
import { addVirtualAuthenticator } from "./support/passkeys";
import { signInAs } from "./support/sign-in";

/** Passkey management: adding, listing and removing one's own passkeys. */

const ADDED_AT = /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/;

const addForm = (page: Page) => page.getByRole("form", { name: "Add a passkey" });
const passkeyTable = (page: Page) => page.getByRole("table", { name: "Your passkeys" });
const passkeyRow = (page: Page, name: string) =>
  passkeyTable(page)
    .getByRole("row")
    .filter({ has: page.getByRole("cell", { name, exact: true }) });

const tryToAddPasskey = async (page: Page, name: string) => {
  await addForm(page).getByLabel("Passkey name").fill(name);
  await addForm(page).getByRole("button", { name: "Add a passkey" }).click();
};

const addPasskey = async (page: Page, name: string) => {
  await tryToAddPasskey(page, name);
  await expect(addForm(page).getByRole("status")).toHaveText(`Passkey “${name}” added.`);
  await expect(addForm(page).getByRole("alert")).toHaveText("");
  const row = passkeyRow(page, name);
  await expect(row.getByRole("cell").nth(1)).toHaveText(ADDED_AT);
  await expect(row.getByRole("cell").nth(2)).toHaveText("never");
};

test("a person keeps a passkey on each of two devices, and removes one of them", async ({ browser }) => {
  const context = await browser.newContext();
  const laptop = await context.newPage();
  await signInAs(laptop, "Sam Security", "/");
  await laptop.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Passkeys" }).click();
  await expect(laptop.getByRole("region", { name: "Your passkeys" })).toContainText("You have no passkey yet.");

  // The laptop: a platform authenticator; the name she types is the one listed.
  const laptopAuthenticator = await addVirtualAuthenticator(laptop);
  await addPasskey(laptop, "Sam's laptop");
  expect(await laptopAuthenticator.credentials()).toBe(1);

  // The same device cannot hold a second passkey for her: the portal says so, and adds nothing.
  await tryToAddPasskey(laptop, "Laptop again");
  await expect(addForm(laptop).getByRole("alert")).toHaveText(
    "This device already holds a passkey for your account. Use another device or password manager.",
  );
  await expect(addForm(laptop).getByRole("status")).toHaveText("");
  await expect(addForm(laptop).getByRole("button", { name: "Add a passkey" })).toBeEnabled();
  await laptop.reload();
  await expect(passkeyTable(laptop).getByRole("row")).toHaveCount(2);
  await expect(passkeyTable(laptop)).not.toContainText("Laptop again");
  expect(await laptopAuthenticator.credentials()).toBe(1);

  // The phone: another tab of the same session, with an authenticator of its own.
  const phone = await context.newPage();
  await phone.goto("/passkeys");
  const phoneAuthenticator = await addVirtualAuthenticator(phone);
  await addPasskey(phone, "Sam's phone");
  expect(await phoneAuthenticator.credentials()).toBe(1);

  // Both are listed, oldest first, each with when it was added.
  const table = passkeyTable(phone);
  await expect(table.getByRole("row")).toHaveCount(3);
  await expect(table.getByRole("row").nth(1)).toContainText("Sam's laptop");
  await expect(table.getByRole("row").nth(2)).toContainText("Sam's phone");
  for (const name of ["Sam's laptop", "Sam's phone"])
    await expect(passkeyRow(phone, name).getByRole("cell").nth(1)).toHaveText(ADDED_AT);

  // Removing asks first; cancelling keeps it.
  await phone.getByRole("button", { name: "Remove passkey Sam's phone" }).click();
  const phoneRow = passkeyRow(phone, "Sam's phone");
  await expect(phoneRow).toContainText("Remove “Sam's phone”?");
  await phoneRow.getByRole("button", { name: "Cancel" }).click();
  await expect(phone.getByRole("button", { name: "Remove passkey Sam's phone" })).toBeVisible();
  await expect(table.getByRole("row")).toHaveCount(3);

  // Confirmed: any passkey but the last is removed only with a passkey confirmation (ADR 0033),
  // which the phone's authenticator gives (with the very passkey being removed).
  await phone.getByRole("button", { name: "Remove passkey Sam's phone" }).click();
  await phoneRow.getByRole("button", { name: "Yes, remove" }).click();
  const listNotice = phone.getByRole("region", { name: "Your passkeys" });
  await expect(listNotice.getByRole("status")).toHaveText("Passkey “Sam's phone” removed.");
  await expect(listNotice.getByRole("alert")).toHaveText("");
  await expect(table.getByRole("row")).toHaveCount(2);
  await expect(table).not.toContainText("Sam's phone");
  await expect(passkeyRow(phone, "Sam's laptop")).toBeVisible();

  // The other tab sees the same list once it looks again.
  await laptop.reload();
  await expect(passkeyTable(laptop).getByRole("row")).toHaveCount(2);
  await expect(passkeyTable(laptop)).not.toContainText("Sam's phone");

  // The portal forgot the phone's passkey; the phone itself still holds it (the portal can't reach into a device).
  expect(await phoneAuthenticator.credentials()).toBe(1);
  expect(await laptopAuthenticator.credentials()).toBe(1);

  await context.close();
});

test("when the device does not verify the person, no passkey is added and the page says why", async ({ page }) => {
  await signInAs(page, "Oscar On-call", "/passkeys");
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const credentials = async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials.length;

  // The fingerprint (or PIN) is not recognised.
  await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
  await tryToAddPasskey(page, "Oscar's laptop");
  await expect(addForm(page).getByRole("alert")).toHaveText(
    "The passkey was not created: the prompt was cancelled or timed out. Try again when ready.",
  );
  await expect(addForm(page).getByRole("status")).toHaveText("");
  await expect(addForm(page).getByRole("button", { name: "Add a passkey" })).toBeEnabled();
  await page.reload();
  await expect(page.getByRole("region", { name: "Your passkeys" })).toContainText("You have no passkey yet.");
  await expect(passkeyTable(page)).toHaveCount(0);
  expect(await credentials()).toBe(0);

  // Verified this time, the same attempt succeeds.
  await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: true });
  await addPasskey(page, "Oscar's laptop");
  await expect(passkeyTable(page).getByRole("row")).toHaveCount(2);
  expect(await credentials()).toBe(1);
});
