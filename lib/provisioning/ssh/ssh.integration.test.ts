/**
 * The SSH connector against a real sshd (lib/testing/sshd.ts) and the real `ssh` client: a
 * certificate logs in during its grant, is refused after the grant's end, and is refused after
 * an early revoke through the KRL the connector writes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { db, disconnectDb } from "../../db";
import { AppError } from "../../errors";
import { createResourceWithPolicy, createUser } from "../../testing/fixtures";
import { startSshd, type TSshd } from "../../testing/sshd";
import type { TConnectorContext, TProvisioningGrant } from "../types";
import { caPublicKeyLine, generateCaPrivateKey } from "./certificate-authority";
import { sshConnector, type TSshSettings } from "./connector";
import { getResourceKrl } from "./get-resource-krl";
import { subjectIdOf } from "../../auth/subject-id";

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

let sshd: TSshd;
const caPrivateKey = generateCaPrivateKey();
let context: TConnectorContext<TSshSettings>;
let resourceKey: string;
let resourceId: string;
let subject: TProvisioningGrant["subject"];

before(async () => {
  sshd = await startSshd({ caPublicKeys: [caPublicKeyLine(caPrivateKey)] });
  const { resource } = await createResourceWithPolicy({ permissions: ["read", "write"] });
  resourceKey = resource.key;
  resourceId = resource.id;
  const user = await createUser();
  subject = { id: user.id, subjectId: subjectIdOf(user), email: user.email, name: user.name };
  context = {
    connectorId: `ssh-${resource.id}`,
    resourceKey,
    settings: { krlPath: sshd.krlPath, loginHost: `127.0.0.1 -p ${sshd.port}` },
    credential: caPrivateKey,
    mapping: { read: [sshd.user] },
  };
});
after(async () => {
  await sshd?.stop();
  await disconnectDb();
});

/** A grant row in the database (for the certificate's foreign key) and the connector's view of it. */
const grantFor = async (options: { startsAt: Date; expiresAt: Date }): Promise<TProvisioningGrant> => {
  const grant = await db.grant.create({
    data: { subjectId: subject.id, resourceId, permissions: ["read"], ...options },
  });
  return {
    grantId: grant.id,
    subject,
    resource: { id: resourceId, key: resourceKey },
    permissions: ["read"],
    targets: [sshd.user],
    startsAt: grant.startsAt,
    expiresAt: grant.expiresAt,
    revokedAt: null,
    externalRef: null,
    state: {},
  };
};

/** Posts a fresh key's public half, saves the certificate the connector returns; returns the login to try. */
const certificateFor = async (grant: TProvisioningGrant, name: string) => {
  const pair = sshd.newKeyPair(name);
  const issued = await sshConnector.issueCredential!(context, grant, { publicKey: pair.publicKey });
  const certificate = issued.credential.fields.find((field) => field.label.startsWith("Certificate"))?.value;
  assert.ok(certificate?.startsWith("ssh-ed25519-cert-v01@openssh.com "), "an OpenSSH certificate line");
  const certificatePath = `${pair.privateKeyPath}-cert.pub`;
  writeFileSync(certificatePath, `${certificate}\n`);
  return { issued, certificatePath, login: () => sshd.login({ privateKeyPath: pair.privateKeyPath, certificatePath }) };
};

const sleepUntil = (at: Date) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at.getTime() - Date.now())));

describe("SSH connector against a real sshd", () => {
  it("logs in during the grant and is refused after its end, with nothing to revoke at the natural end", async () => {
    const now = Date.now();
    const grant = await grantFor({ startsAt: new Date(now - 2_000), expiresAt: new Date(now + 5_000) });
    const { login } = await certificateFor(grant, "during");
    const first = login();
    assert.ok(first.ok, `login during the grant: ${first.stderr}`);
    await sleepUntil(new Date(grant.expiresAt.getTime() + 200));
    const late = login();
    assert.equal(late.ok, false, "refused after the grant's end");
    assert.match(late.stderr, /Permission denied/);
    assert.match(sshd.log(), /expired|Certificate invalid/i);
    const result = await sshConnector.deprovision(context, { ...grant, externalRef: `grant=${grant.grantId}` });
    assert.equal(result.outcome, "absent", "expiry needs no revocation: the validity ended");
  });

  it("refuses the next login after an early revoke, through the KRL file; a second revoke is a no-op", async () => {
    const now = Date.now();
    const grant = await grantFor({ startsAt: new Date(now - 1_000), expiresAt: new Date(now + 600_000) });
    const { login, certificatePath, issued } = await certificateFor(grant, "revoked");
    assert.ok(login().ok, "login before the revoke");
    const revoked = { ...grant, revokedAt: new Date(), state: issued.state ?? {} };
    const result = await sshConnector.deprovision(context, revoked);
    assert.equal(result.outcome, "removed");
    assert.equal(result.sessionsTerminated, null);
    const after = login();
    assert.equal(after.ok, false, "refused after the revoke");
    assert.match(sshd.log(), /revoked by file/);
    const again = await sshConnector.deprovision(context, revoked);
    assert.equal(again.outcome, "absent");
    // The KRL the portal serves says the same as the file sshd read.
    const served = path.join(sshd.dir, "served.krl");
    writeFileSync(served, await getResourceKrl({ resourceKey }));
    const query = spawnSync("ssh-keygen", ["-Q", "-f", served, certificatePath], { encoding: "utf8" });
    assert.match(query.stdout, /REVOKED/);
  });

  it("serves a KRL for an existing resource only", async () => {
    await assert.rejects(getResourceKrl({ resourceKey: "no-such-resource" }), isCode("NOT_FOUND"));
    await assert.rejects(getResourceKrl({ resourceKey: "../../etc/passwd" }), isCode("NOT_FOUND"));
    const krl = await getResourceKrl({ resourceKey });
    assert.equal(krl.subarray(0, 8).toString("latin1"), "SSHKRL\n\0");
  });

  it("issues nothing outside the grant's window, nor for the CA's own key", async () => {
    const now = Date.now();
    const future = await grantFor({ startsAt: new Date(now + 60_000), expiresAt: new Date(now + 120_000) });
    const publicKey = sshd.newKeyPair("early").publicKey;
    await assert.rejects(sshConnector.issueCredential!(context, future, { publicKey }), isCode("CONFLICT"));
    const live = await grantFor({ startsAt: new Date(now - 1_000), expiresAt: new Date(now + 60_000) });
    await assert.rejects(
      sshConnector.issueCredential!(context, { ...live, revokedAt: new Date() }, { publicKey }),
      isCode("CONFLICT"),
    );
    await assert.rejects(
      sshConnector.issueCredential!(context, live, { publicKey: caPublicKeyLine(caPrivateKey) }),
      /authority's key/,
    );
    await assert.rejects(
      sshConnector.issueCredential!(context, { ...live, targets: [] }, { publicKey }),
      /maps none of your permissions/,
    );
    assert.equal(await db.sshCertificate.count({ where: { grantId: { in: [future.grantId, live.grantId] } } }), 0);
  });

  it("re-issues a certificate for the new end on an extension, and inspect lists what is still valid", async () => {
    const now = Date.now();
    const grant = await grantFor({ startsAt: new Date(now - 1_000), expiresAt: new Date(now + 60_000) });
    const { issued } = await certificateFor(grant, "extended");
    const extended = {
      ...grant,
      expiresAt: new Date(now + 3_600_000),
      externalRef: `grant=${grant.grantId}`,
      state: issued.state ?? {},
    };
    const result = await sshConnector.provision(context, extended);
    assert.equal(result.outcome, "updated");
    assert.match(result.summary, /1 certificate\(s\) re-issued/);
    const line = result.credential?.fields.find((field) => field.label.startsWith("Certificate"))?.value ?? "";
    const file = path.join(sshd.dir, "extended-new-cert.pub");
    writeFileSync(file, `${line}\n`);
    const listing = spawnSync("ssh-keygen", ["-L", "-f", file], { encoding: "utf8" }).stdout;
    const end = new Date(Math.floor(extended.expiresAt.getTime() / 1000) * 1000).toISOString().slice(0, 19);
    assert.ok(listing.includes(`to ${end}`), listing);
    assert.equal((result.state?.serials as string[]).length, 2);
    const entries = await sshConnector.inspect(context);
    const mine = entries.filter((entry) => entry.principal === `grant=${grant.grantId}`);
    assert.equal(mine.length, 2, "both certificates are valid until their ends");
    assert.ok(mine.every((entry) => entry.target === sshd.user));
    // Once revoked, nothing of this grant is held any more.
    await sshConnector.deprovision(context, { ...extended, revokedAt: new Date() });
    assert.equal(
      (await sshConnector.inspect(context)).filter((e) => e.principal === `grant=${grant.grantId}`).length,
      0,
    );
  });

  it("test() checks that the CA key opens and the KRL path is writable", async () => {
    const ok = await sshConnector.test(context);
    assert.equal(ok.ok, true);
    const missingDir = await sshConnector.test({ ...context, settings: { krlPath: "/nonexistent-dir/krl" } });
    assert.deepEqual(missingDir, {
      ok: false,
      error: "The KRL file /nonexistent-dir/krl is not writable by the worker.",
    });
    const badKey = await sshConnector.test({ ...context, credential: "not a key" });
    assert.equal(badKey.ok, false);
  });
});
