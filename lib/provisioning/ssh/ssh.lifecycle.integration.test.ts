/**
 * The SSH connector through the framework, as the portal runs it: an administrator attaches it
 * (the CA key is generated and sealed, kept when the connector is re-attached), the grant's
 * activation provisions, the grantee alone gets a certificate for a public key (a string, as
 * the grant page's form sends it), and revoking the grant runs the deprovision that publishes
 * the serial: the next real ssh login is refused. With the session guard on the host
 * (deploy/ssh/jit-session-guard, the certificates' force-command), a session already open ends
 * too: at an early end when the KRL names its serial, and at the certificate's end.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { requestAccess, revokeGrant } from "../../access";
import type { TUserActor } from "../../authz";
import { db, disconnectDb } from "../../db";
import { AppError } from "../../errors";
import { createActor, createResourceWithPolicy, uniqueId } from "../../testing/fixtures";
import { startSshd, type TSshd, type TSshSession } from "../../testing/sshd";
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
          settings: {
            krlPath: sshd.krlPath,
            loginHost: `127.0.0.1 -p ${sshd.port}`,
            sessionGuard: sshd.sessionGuard,
          },
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
    const { policy } = await createResourceWithPolicy({
      key: resourceKey,
      permissions: ["read"],
      requesterGroups: [engineers],
      approverGroups: ["nobody"],
      autoApproveGroups: [engineers],
    });
    policyId = policy.id;
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

  const grantWithCertificate = async (name: string, options: { endsInMs?: number; connector?: string } = {}) => {
    const connector = options.connector ?? connectorId;
    const subject = await createActor({ groups: [engineers] });
    const { requestId } = await requestAccess({
      actor: subject,
      input: { policyId, permissions: ["read"], durationMinutes: 30, justification: "rotate the TLS keys INC-2" },
    });
    let grant = await db.grant.findUniqueOrThrow({ where: { requestId } });
    if (options.endsInMs)
      grant = await db.grant.update({
        where: { id: grant.id },
        data: { expiresAt: new Date(Date.now() + options.endsInMs) },
      });
    await runProvisioning({ grantId: grant.id, connectorId: connector, action: "provision", trigger: "test" });
    const pair = sshd.newKeyPair(name);
    const credential = await issueGrantCredential({
      actor: subject,
      input: { grantId: grant.id, connectorId: connector, input: pair.publicKey },
    });
    const certificatePath = `${pair.privateKeyPath}-cert.pub`;
    writeFileSync(certificatePath, `${credential.fields.find((field) => field.label === "Certificate")?.value}\n`);
    return { subject, grant, privateKeyPath: pair.privateKeyPath, certificatePath };
  };
  const ticking = async (session: TSshSession) => {
    const deadline = Date.now() + 15_000;
    while (!session.output().includes("tick") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(session.output(), /tick/, `the session runs: ${session.output()}\n${sshd.log()}`);
  };
  const endsWithin = async (session: TSshSession, ms: number) => {
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), ms));
    const exited = await Promise.race([session.exited, timeout]);
    if (!exited) session.close();
    return exited;
  };
  const LOOP = "while :; do echo tick; sleep 0.2; done";

  it("ends a session already open when the grant is revoked (the guard reads the KRL), and refuses the next login", async () => {
    const { subject, grant, privateKeyPath, certificatePath } = await grantWithCertificate("live-revoke");
    const session = sshd.openSession({ privateKeyPath, certificatePath, command: LOOP });
    await ticking(session);
    await revokeGrant({ actor: subject, input: { grantId: grant.id } });
    await runProvisioning({ grantId: grant.id, connectorId, action: "deprovision", trigger: "test" });
    const exited = await endsWithin(session, 10_000);
    assert.ok(exited, `the open session outlived the revocation: ${session.output()}`);
    assert.equal(sshd.login({ privateKeyPath, certificatePath }).ok, false);
  });

  it("ends a session already open at the certificate's end, with no revocation at all", async () => {
    const { grant, privateKeyPath, certificatePath } = await grantWithCertificate("live-expiry", { endsInMs: 4_000 });
    const session = sshd.openSession({ privateKeyPath, certificatePath, command: LOOP });
    await ticking(session);
    const exited = await endsWithin(session, 15_000);
    assert.ok(exited, `the open session outlived its certificate: ${session.output()}`);
    const validBefore = Math.floor(grant.expiresAt.getTime() / 1000) * 1000;
    // Not the time it took (the bench measures that): only that the end, not a failure, closed it.
    assert.ok(exited.at >= validBefore, `closed ${validBefore - exited.at} ms before the certificate's end`);
  });

  it("runs what the client asked under the guard: a command's output and exit status come back as they are", async () => {
    const { privateKeyPath, certificatePath } = await grantWithCertificate("guarded-command");
    const session = sshd.openSession({ privateKeyPath, certificatePath, command: "echo guarded; exit 7" });
    const exited = await endsWithin(session, 15_000);
    assert.equal(exited?.status, 7, session.output());
    assert.match(session.output(), /guarded/);
  });

  it("with the host guard (root, no force-command), a session ends at revocation even after the grantee tries to stop the guard", async () => {
    // A second connector on the resource, whose certificates carry no force-command: only the
    // host guard can end its sessions.
    const plainId = (
      await attachConnector({
        actor: admin,
        input: {
          resourceKey,
          kind: "ssh",
          name: "hosts-plain",
          settings: { krlPath: sshd.krlPath },
          mapping: { read: [sshd.user] },
        },
      })
    ).id;
    const [first, second] = (await listConnectors({ actor: admin, resourceKey })).connectors.map(
      (connector) => connector.facts.find((fact) => fact.label.startsWith("CA public key"))?.value ?? "",
    );
    sshd.trustCas([first!, second!]);
    const [script, krl] = sshd.sessionGuard.split(" ");
    const guard = spawn("sh", [script!, "--host", krl!], {
      env: { ...process.env, JIT_GUARD_EVERY: "0.2" },
      stdio: "ignore",
    });
    try {
      const { subject, grant, privateKeyPath, certificatePath } = await grantWithCertificate("host-guard", {
        connector: plainId,
      });
      const session = sshd.openSession({
        privateKeyPath,
        certificatePath,
        // What a grantee could try: every guard process they can see, killed (root's are not theirs).
        command: `pkill -KILL -f "jit-session-guar[d]"; ${LOOP}`,
      });
      await ticking(session);
      assert.equal(guard.exitCode, null, "the host guard survives the grantee's pkill");
      await revokeGrant({ actor: subject, input: { grantId: grant.id } });
      await runProvisioning({ grantId: grant.id, connectorId: plainId, action: "deprovision", trigger: "test" });
      const exited = await endsWithin(session, 10_000);
      assert.ok(exited, `the open session outlived the revocation: ${session.output()}`);
    } finally {
      guard.kill("SIGTERM");
    }
  });
});
