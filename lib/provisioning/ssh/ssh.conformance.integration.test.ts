/**
 * The framework's conformance suite (lib/provisioning/conformance) for the SSH connector,
 * against a real sshd and the real ssh client. A certificate is the access: after each
 * provision the harness does what the grantee does (posts a public key, saves the certificate,
 * or swaps in the re-issued one after an extension), and "can access" is a real login.
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { after } from "node:test";
import { db, disconnectDb } from "../../db";
import { createResourceWithPolicy } from "../../testing/fixtures";
import { startSshd, type TSshd } from "../../testing/sshd";
import { runConformanceSuite } from "../conformance";
import type { TOneTimeCredential } from "../types";
import { caPublicKeyLine, generateCaPrivateKey } from "./certificate-authority";
import { sshConnector, type TIssueSshCertificateInput, type TSshSettings } from "./connector";

let sshd: TSshd | undefined;
after(disconnectDb);

const certificateOf = (credential: TOneTimeCredential | null | undefined) =>
  credential?.fields.find((field) => field.label.startsWith("Certificate"))?.value;

runConformanceSuite<TSshSettings, TIssueSshCertificateInput>({
  name: "SSH",
  connector: sshConnector,
  permissions: ["read"],
  setup: async () => {
    const caPrivateKey = generateCaPrivateKey();
    const server = await startSshd({ caPublicKeys: [caPublicKeyLine(caPrivateKey)] });
    sshd = server;
    const { resource } = await createResourceWithPolicy({ permissions: ["read"] });
    const context = {
      connectorId: randomUUID(),
      resourceKey: resource.key,
      settings: { krlPath: server.krlPath },
      credential: caPrivateKey,
      mapping: { read: [server.user] },
    };
    /** The grantee's key and current certificate, per grant. */
    const held = new Map<string, { privateKeyPath: string; certificatePath: string }>();
    return {
      context,
      claim: async (grant, result) => {
        const mine = held.get(grant.grantId);
        const reissued = certificateOf(result.credential);
        if (mine && reissued) writeFileSync(mine.certificatePath, `${reissued}\n`);
        if (mine) return;
        const pair = server.newKeyPair(`conf-${grant.grantId.slice(0, 8)}`);
        const issued = await sshConnector.issueCredential!(context, grant, { publicKey: pair.publicKey });
        const certificatePath = `${pair.privateKeyPath}-cert.pub`;
        writeFileSync(certificatePath, `${certificateOf(issued.credential)}\n`);
        held.set(grant.grantId, { privateKeyPath: pair.privateKeyPath, certificatePath });
      },
      canAccess: async (grant) => {
        const mine = held.get(grant.grantId);
        return mine ? server.login(mine).ok : false;
      },
      // "By hand" for a certificate authority: a certificate on the portal's records that no
      // live grant explains (e.g. a grant row lost), which inspect must report.
      addAccessByHand: async () => {
        const grantId = randomUUID();
        await db.sshCertificate.create({
          data: {
            connectorId: context.connectorId,
            resourceKey: resource.key,
            grantId,
            caPublicKey: caPublicKeyLine(caPrivateKey),
            keyId: `by hand ${grantId}`,
            principals: [server.user],
            publicKey: "ssh-ed25519 AAAA",
            fingerprint: "SHA256:none",
            validAfter: new Date(Date.now() - 1_000),
            validBefore: new Date(Date.now() + 3_600_000),
          },
        });
        return { principal: `grant=${grantId}`, target: server.user };
      },
      teardown: async () => {
        await sshd?.stop();
      },
    };
  },
});
