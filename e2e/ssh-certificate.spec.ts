/**
 * The SSH connector end to end, against a real sshd on a loopback port and the real ssh client:
 * an administrator attaches it in the UI (the portal mints the CA; the host trusts its public
 * key and reads the KRL the worker writes), an engineer's request is approved with a passkey,
 * the engineer pastes a public key on the grant page, gets a certificate and logs in; after the
 * grant is ended early, the next login is refused through the KRL.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { db, disconnectDb } from "../lib/db";
import { startSshd, type TSshd } from "../lib/testing/sshd";
import { registerPasskey } from "./support/passkeys";
import { signInAs } from "./support/sign-in";

let sshd: TSshd | undefined;
test.afterAll(async () => {
  await sshd?.stop();
  await disconnectDb();
});

const personIn = async (browser: Browser, name: string, path: string): Promise<Page> => {
  const page = await (await browser.newContext()).newPage();
  await signInAs(page, name, path);
  return page;
};

test("an engineer gets an SSH certificate on the grant page, logs in to a real sshd, and is refused after the grant ends early", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const server = await startSshd();
  sshd = server;
  const resourceKey = `ssh-hosts-${Date.now().toString(36)}`;
  const resource = await db.resource.create({
    data: { key: resourceKey, name: "Bastion hosts", environment: "production", permissions: ["login"] },
  });
  await db.accessPolicy.create({
    data: {
      resourceId: resource.id,
      name: "on call",
      permissions: ["login"],
      requesterGroups: ["engineers"],
      approverGroups: ["ssh-approvers"],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
    },
  });

  // The administrator attaches the SSH connector: the portal generates the CA; the page shows its public key.
  const ada = await personIn(browser, "Ada Admin", `/admin/resources/${resourceKey}/provisioning`);
  const attach = ada.getByRole("form", { name: "Attach a connector" });
  await attach.getByLabel("Kind").selectOption({ label: "SSH (OpenSSH certificates)" });
  await attach.getByLabel("Name").fill("bastions");
  await attach
    .getByLabel(/Settings/)
    .fill(JSON.stringify({ krlPath: server.krlPath, loginHost: `127.0.0.1 -p ${server.port}` }));
  await attach.getByLabel("Targets for login").fill(server.user);
  await attach.getByRole("button", { name: "Attach connector" }).click();
  const card = ada.getByTestId("connector-bastions");
  await expect(card).toContainText("CA public key (TrustedUserCAKeys)");
  const caPublicKey = (await card.locator("code").first().textContent()) ?? "";
  expect(caPublicKey).toMatch(/^ssh-ed25519 AAAA\S+ jit-access-portal /);
  expect(await card.textContent()).not.toContain("PRIVATE KEY");
  server.trustCas([caPublicKey]);
  await card.getByRole("button", { name: "Test connection" }).click();
  await expect(card.getByText(/Connection works\. CA SHA256:/)).toBeVisible();

  // The engineer asks; the approver approves with a passkey.
  const sasha = await personIn(browser, "Sasha Shell", `/request/${resourceKey}`);
  // One policy with one permission: the form shows it as text, with nothing to choose.
  await expect(sasha.getByTestId("access-choice")).toContainText("login");
  await sasha.getByLabel("Justification").fill("Restart the stuck ingest daemon on the bastion");
  await sasha.getByRole("button", { name: "Submit request" }).click();
  await expect(sasha).toHaveURL(/\/requests\/[\w-]+$/);
  const requestUrl = new URL(sasha.url()).pathname;
  const petra = await personIn(browser, "Petra Pager", "/passkeys");
  await registerPasskey(petra, "Petra's laptop");
  await petra.goto(requestUrl);
  await petra.getByRole("button", { name: "Approve" }).click();
  await expect(petra.getByRole("region", { name: "Your decision" }).getByRole("status")).toHaveText(
    /Approved\. The grant is created\./,
  );

  // On the grant page the engineer pastes a public key and gets a certificate with a ready command.
  const grant = await db.grant.findFirstOrThrow({ where: { request: { id: requestUrl.split("/").pop() } } });
  const pair = server.newKeyPair("sasha");
  await sasha.goto(`/grants/${grant.id}`);
  await sasha.getByLabel(/your input/).fill(pair.publicKey);
  await sasha.getByRole("button", { name: "Issue credential" }).click();
  const credential = sasha.getByTestId("credential");
  await expect(credential).toBeVisible();
  const certificate = (await credential.getByLabel("Certificate", { exact: true }).textContent()) ?? "";
  expect(certificate).toMatch(/^ssh-ed25519-cert-v01@openssh\.com AAAA/);
  await expect(credential.getByLabel("Command", { exact: true })).toHaveText(
    `ssh -i ~/.ssh/id_ed25519 -o CertificateFile=~/.ssh/id_ed25519-cert.pub ${server.user}@127.0.0.1 -p ${server.port}`,
  );
  const certificatePath = `${pair.privateKeyPath}-cert.pub`;
  writeFileSync(certificatePath, `${certificate}\n`);
  const login = () => server.login({ privateKeyPath: pair.privateKeyPath, certificatePath });
  const during = login();
  expect(during.ok, during.stderr).toBe(true);

  // The engineer ends the grant early: the worker revokes the serial and writes the KRL; sshd refuses.
  await sasha.goto(requestUrl);
  await sasha.getByRole("button", { name: "End this grant now" }).click();
  await sasha.getByRole("alertdialog").getByRole("button", { name: "Yes, end it now" }).click();
  await expect(sasha.getByText("Ended.")).toBeVisible();
  await expect.poll(() => login().ok, { timeout: 30_000, intervals: [500] }).toBe(false);
  expect(server.log()).toMatch(/revoked by file/);
  // The KRL the hosts fetch from the portal says the same.
  const krl = await sasha.request.get(`/api/ssh/krl/${resourceKey}`);
  expect(krl.status()).toBe(200);
  const served = `${server.dir}/served.krl`;
  writeFileSync(served, await krl.body());
  expect(spawnSync("ssh-keygen", ["-Q", "-f", served, certificatePath], { encoding: "utf8" }).stdout).toMatch(
    /REVOKED/,
  );
  await sasha.goto(`/grants/${grant.id}`);
  await expect(sasha.getByRole("list", { name: "Provisioning timeline" })).toContainText(/certificate serial.*revoked/);

  for (const page of [ada, sasha, petra]) await page.context().close();
});
