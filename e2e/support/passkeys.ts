import { expect, type Page } from "@playwright/test";

/**
 * Chromium's virtual authenticator (CDP WebAuthn domain): a platform authenticator with
 * resident keys and user verification that always succeeds, as Chromium's CDP documents it.
 */
export const addVirtualAuthenticator = async (page: Page): Promise<{ credentials: () => Promise<number> }> => {
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
  return {
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials.length,
  };
};

/** On /passkeys: a virtual authenticator, then a passkey registered with it under `label`. */
export const registerPasskey = async (page: Page, label: string): Promise<void> => {
  const authenticator = await addVirtualAuthenticator(page);
  await page.getByLabel("Passkey name").fill(label);
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByRole("table")).toContainText(label);
  expect(await authenticator.credentials()).toBe(1);
};
