/**
 * The SSH connector through the framework, as the portal runs it: an administrator attaches it
 * (the CA key is generated and sealed, kept when the connector is re-attached), the grant's
 * activation provisions, the grantee alone gets a certificate for a public key (a string, as
 * the grant page's form sends it), and revoking the grant runs the deprovision that publishes
 * the serial: the next real ssh login is refused.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { requestAccess, revokeGrant } from "../../access";
import type { TUserActor } from "../../authz";
import { db, disconnectDb } from "../../db";
import { AppError } from "../../errors";
import { createActor, uniqueId } from "../../testing/fixtures";
import { startSshd, type TSshd } from "../../testing/sshd";
import { attachConnector, issueGrantCredential, listConnectors, runProvisioning } from "../index";

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

describe("SSH connector through the grant lifecycle", () => {
  let sshd: TSshd;
  let admin: TUserActor;
  let policyId = "";
  let resourceKey = "";
  let connectorId = "";
  const engineers = uniqueId("eng");

  const attach = async () =>
    (
      await attachConnector({
        actor: admin,
        input: {
          resourceKey,
          kind: "ssh",
          name: "hosts",
          settings: { krlPath: sshd.krlPath, loginHost: `127.0.0.1 -p ${sshd.port}` },
          mapping: { read: [sshd.user] },
        },
      })
    ).id;
  const caPublicKey = async () => {
    const [connector] = (await listConnectors({ actor: admin, resourceKey })).connectors;
    const fact = connector?.facts.find((candidate) => candidate.label.startsWith("CA public key"));
    assert.ok(fact, "the admin page shows the CA public key");
    return fact.value;
  };

  before(async () => {
    sshd = await startSshd();
    admin = await createActor({ groups: ["portal-admins"] });
    resourceKey = uniqueId("ssh-hosts");
    const resource = await db.resource.create({
      data: { key: resourceKey, name: "Hosts", environment: "production", permissions: ["read"] },
    });
    policyId = (
      await db.accessPolicy.create({
        data: {
          resourceId: resource.id,
          name: "auto",
          permissions: ["read"],
          requesterGroups: [engineers],
          approverGroups: ["nobody"],
          defaultDurationMinutes: 30,
          maxDurationMinutes: 240,
          autoApproveGroups: [engineers],
          autoApprovePermissions: ["read"],
        },
      })
    ).id;
    connectorId = await attach();
    sshd.trustCas([await caPublicKey()]);
  });
  after(async () => {
    await sshd?.stop();
    await disconnectDb();
  });

  it("keeps its CA key when re-attached, and seals it at rest", async () => {
    const first = await caPublicKey();
    assert.equal(await attach(), connectorId);
    assert.equal(await caPublicKey(), first, "hosts' TrustedUserCAKeys stays valid");
    const row = await db.connector.findUniqueOrThrow({ where: { id: connectorId } });
    assert.match(row.credentialSealed ?? "", /^v1\./);
    assert.ok(!row.credentialSealed?.includes("PRIVATE KEY"));
  });

  it("gives the grantee alone a certificate that logs in, and refuses the next login after the grant is revoked", async () => {
    const subject = await createActor({ groups: [engineers] });
    const { requestId } = await requestAccess({
      actor: subject,
      input: { policyId, permissions: ["read"], durationMinutes: 30, justification: "rotate the TLS keys INC-1" },
    });
    const grant = await db.grant.findUniqueOrThrow({ where: { requestId } });
    assert.equal(
      (await runProvisioning({ grantId: grant.id, connectorId, action: "provision", trigger: "test" })).outcome,
      "provisioned",
    );

    const pair = sshd.newKeyPair("lifecycle");
    const other = await createActor({ groups: [engineers] });
    await assert.rejects(
      issueGrantCredential({ actor: other, input: { grantId: grant.id, connectorId, input: pair.publicKey } }),
      isCode("NOT_FOUND"),
    );
    const credential = await issueGrantCredential({
      actor: subject,
      input: { grantId: grant.id, connectorId, input: pair.publicKey },
    });
    const certificate = credential.fields.find((field) => field.label === "Certificate")?.value ?? "";
    const serial = credential.fields.find((field) => field.label === "Serial")?.value ?? "";
    const command = credential.fields.find((field) => field.label === "Command")?.value ?? "";
    assert.match(
      command,
      new RegExp(
        `^ssh -i ~/.ssh/id_ed25519 -o CertificateFile=~/.ssh/id_ed25519-cert.pub ${sshd.user}@127.0.0.1 -p ${sshd.port}$`,
      ),
    );
    const certificatePath = `${pair.privateKeyPath}-cert.pub`;
    writeFileSync(certificatePath, `${certificate}\n`);
    const during = sshd.login({ privateKeyPath: pair.privateKeyPath, certificatePath });
    assert.ok(during.ok, `login during the grant: ${during.stderr}\n${sshd.log()}`);
    const recorded = await db.grantProvisioning.findUniqueOrThrow({
      where: { grantId_connectorId: { grantId: grant.id, connectorId } },
    });
    assert.deepEqual(
      (recorded.state as { serials: string[] }).serials,
      [serial],
      "the serial is recorded on the grant",
    );
    const audit = await db.auditEvent.findFirst({ where: { action: "grant.credential_issued", targetId: grant.id } });
    assert.ok(audit, "issuance is audited");

    await revokeGrant({ actor: subject, input: { grantId: grant.id } });
    const ended = await runProvisioning({ grantId: grant.id, connectorId, action: "deprovision", trigger: "test" });
    assert.equal(ended.outcome, "deprovisioned");
    assert.equal(
      sshd.login({ privateKeyPath: pair.privateKeyPath, certificatePath }).ok,
      false,
      "refused after revoke",
    );
    assert.match(sshd.log(), /revoked by file/);
    await assert.rejects(
      issueGrantCredential({ actor: subject, input: { grantId: grant.id, connectorId, input: pair.publicKey } }),
      isCode("CONFLICT"),
    );
  });
});
